import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alertsMarkdown, README_FILE, REGENERATE_COMMAND, renderReadme } from "../generate-readme";

describe("monitoring/README.md", () => {
  it("holds the current metrics table and alert list", () => {
    const current = readFileSync(README_FILE, "utf8");
    expect(current, `monitoring/README.md is stale; regenerate it with: ${REGENERATE_COMMAND}`).toBe(
      renderReadme(current),
    );
  });

  it("fails, naming the markers, when a generated block's markers are gone", () => {
    expect(() => renderReadme("# Monitoring\n")).toThrow(/lacks the markers <!-- generated:metrics begin/);
  });

  it("lists an alert with its severity, delay, one-line condition and description", () => {
    const yaml = `groups:
  - name: g
    rules:
      - alert: Example
        expr: |
          sum by (x) (
            tickflow_up
          ) == 0
        for: 2m
        labels: { severity: warning }
        annotations: { summary: s, description: "Restart {{ $labels.job }}\\n  now." }
`;
    expect(alertsMarkdown(yaml)).toBe(
      "- **Example** (warning, after 2m): `sum by (x) (tickflow_up) == 0`\n  Restart {job} now.",
    );
  });
});
