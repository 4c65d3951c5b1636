import { existsSync } from "node:fs";

/**
 * Debian's Chromium and its flags, as the browser tests launch it (@tickflow/test-support has
 * the same, but production code does not import test support).
 */
export const CHROMIUM = "/usr/bin/chromium";

/** Without the networking flags Chromium calls Google's services, which a closed network refuses, many times a start. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Fails, saying how to install it, when Debian's Chromium is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get install chromium\` (as root); not \`npx playwright install\`, which downloads a browser this network refuses`,
    );
}
