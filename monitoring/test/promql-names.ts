/**
 * Metric names referenced by a PromQL expression, found by elimination rather than a full
 * parser: strings, label matchers, range and subquery brackets, label lists of by/without/on/
 * ignoring/group_left/group_right and offset/@ modifiers are removed; what remains are
 * numbers, operators, keywords, calls (a name followed by "(") and metric names.
 * promtool and Prometheus itself judge the syntax; this only has to find the names.
 */
import { CATALOG, type MetricSpec } from "@tickflow/metrics";

const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "atan2",
  "inf",
  "nan",
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/#[^\n]*/g, " ")
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " ")
    .replace(/\boffset\s+-?(?:\d+[smhdwy]+)+/gi, " ")
    .replace(/@\s*(?:start\(\)|end\(\)|[\d.]+)/g, " ");
  const names = new Set<string>();
  // numbers first, so the "e3" of 1e3 or the "m" of 5m is never read as a name
  for (const m of stripped.matchAll(
    /(0x[0-9a-f]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?[smhdwy]*)|([A-Za-z_:][\w:]*)(\s*\()?/gi,
  )) {
    if (m[1] !== undefined || m[3] !== undefined) continue;
    if (!KEYWORDS.has(m[2]!.toLowerCase())) names.add(m[2]!);
  }
  return [...names];
}

/** The metric of a Grafana Prometheus variable query: `label_values(<selector>, <label>)` or `label_values(<label>)`. */
export function variableMetricNames(query: string): string[] {
  const match = /^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$/.exec(query);
  if (match) return metricNames(match[1]!);
  if (/^\s*label_values\(\s*\w+\s*\)\s*$/.test(query)) return [];
  return metricNames(query);
}

/**
 * Series Prometheus makes itself rather than scraping them from a target: `up` per target
 * and `ALERTS` for pending and firing alerts.
 */
export const PROMETHEUS_SERIES = new Set(["up", "ALERTS"]);

const HISTOGRAM_SERIES = /^(.+)_(?:bucket|sum|count)$/;

/** Names that are neither in the catalog (a histogram's _bucket/_sum/_count included), a recording rule, nor a Prometheus series. */
export function unknownNames(names: Iterable<string>, recorded: ReadonlySet<string>): string[] {
  const catalog = CATALOG as Record<string, MetricSpec>;
  return [...names].filter((name) => {
    if (name in catalog || recorded.has(name) || PROMETHEUS_SERIES.has(name)) return false;
    const base = HISTOGRAM_SERIES.exec(name)?.[1];
    return !(base && catalog[base]?.type === "histogram");
  });
}
