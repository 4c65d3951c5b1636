/**
 * Regenerates the parts of monitoring/README.md that restate other files: the metrics table
 * (from the catalog in @tickflow/metrics) and the alert list (from prometheus/rules/alerts.yml).
 * Each sits between its begin/end marker comments; the rest of the README is left as written.
 *
 *   npx tsx monitoring/generate-readme.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { catalogMarkdown } from "@tickflow/metrics";
import { parse } from "yaml";

export const README_FILE = fileURLToPath(new URL("./README.md", import.meta.url));
export const ALERTS_FILE = fileURLToPath(new URL("./prometheus/rules/alerts.yml", import.meta.url));
export const REGENERATE_COMMAND = "npx tsx monitoring/generate-readme.ts";

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

/** One entry per alert: name, severity, delay, the condition, and the description (which says what to do). */
export function alertsMarkdown(alertsYaml: string): string {
  const rules = (parse(alertsYaml) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
  return rules
    .map((r) => {
      const expr = r.expr.trim().replace(/\s+/g, " ").replace(/\( /g, "(").replace(/ \)/g, ")");
      // {{ $labels.job }} reads as {job} in prose
      const description = r.annotations.description
        .trim()
        .replace(/\s+/g, " ")
        .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, "{$1}");
      return `- **${r.alert}** (${r.labels.severity}, after ${r.for}): \`${expr}\`\n  ${description}`;
    })
    .join("\n");
}

function replaceBlock(text: string, name: string, body: string): string {
  const begin = `<!-- generated:${name} begin: ${REGENERATE_COMMAND} -->`;
  const end = `<!-- generated:${name} end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`monitoring/README.md lacks the markers ${begin} ... ${end}`);
  return `${text.slice(0, from + begin.length)}\n${body}\n${text.slice(to)}`;
}

/** The README with its generated blocks brought up to date. */
export function renderReadme(current: string, alertsYaml = readFileSync(ALERTS_FILE, "utf8")): string {
  return replaceBlock(replaceBlock(current, "metrics", catalogMarkdown()), "alerts", alertsMarkdown(alertsYaml));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const current = readFileSync(README_FILE, "utf8");
  const next = renderReadme(current);
  if (next === current) process.stdout.write("monitoring/README.md is up to date\n");
  else {
    writeFileSync(README_FILE, next);
    process.stdout.write("monitoring/README.md regenerated\n");
  }
}
