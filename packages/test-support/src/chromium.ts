import { existsSync } from "node:fs";

/** Debian's Chromium, which the browser tests drive through playwright-core. */
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

/** A missing browser fails the suite (CI must not pass without it) and says how to get one. */
export function requireChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const install =
    "install Debian's Chromium: `apt-get install -y chromium` (as root); never `npx playwright install`, which downloads a browser this network refuses";
  throw new Error(
    process.env.CI === "true"
      ? `CI: ${CHROMIUM} is missing; the CI machine must ${install}`
      : `${CHROMIUM} is missing: ${install}`,
  );
}
