import { vi } from "vitest";

/**
 * Captures what aws-embedded-metrics prints (AWS_EMF_ENVIRONMENT=Local, set for the gateway
 * project in vitest.config.ts) and returns it as EMF documents.
 */
export function captureEmf(): { documents(): Record<string, unknown>[]; restore(): void } {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return {
    documents: () =>
      lines
        .flatMap((l) => l.split("\n"))
        .filter((l) => l.trim().startsWith("{") && l.includes("_aws"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => {
      log.mockRestore();
      write.mockRestore();
    },
  };
}
