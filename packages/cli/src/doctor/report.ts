/**
 * What every doctor returns: checks graded OK, WARN or CRIT, the worst of them deciding the
 * exit status (0, 1, 2), the way Nagios-style checks report.
 */
export type Status = "OK" | "WARN" | "CRIT";

export interface Check {
  name: string;
  status: Status;
  /** One line a person reads: the measurement and, when not OK, what to do. */
  summary: string;
  /** The measured values, for --json. */
  data?: Record<string, unknown>;
}

export interface Report {
  doctor: "vm" | "prometheus" | "kafka";
  status: Status;
  checks: Check[];
}

const RANK: Record<Status, 0 | 1 | 2> = { OK: 0, WARN: 1, CRIT: 2 };

export function worst(statuses: Iterable<Status>): Status {
  let result: Status = "OK";
  for (const s of statuses) if (RANK[s] > RANK[result]) result = s;
  return result;
}

export function exitCode(status: Status): 0 | 1 | 2 {
  return RANK[status];
}

export function makeReport(doctor: Report["doctor"], checks: Check[]): Report {
  return { doctor, status: worst(checks.map((c) => c.status)), checks };
}

export interface Thresholds {
  warn: number;
  crit: number;
}

/** For values where more is worse: WARN at or above `warn`, CRIT at or above `crit`. */
export function gradeAbove(value: number, t: Thresholds): Status {
  return value >= t.crit ? "CRIT" : value >= t.warn ? "WARN" : "OK";
}

/** For values where less is worse: WARN at or below `warn`, CRIT at or below `crit`. */
export function gradeBelow(value: number, t: Thresholds): Status {
  return value <= t.crit ? "CRIT" : value <= t.warn ? "WARN" : "OK";
}

export function renderReport(report: Report): string {
  const width = Math.max(...report.checks.map((c) => c.name.length), 0);
  const lines = report.checks.map((c) => `  ${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.summary}`);
  return [`tickflow doctor ${report.doctor}: ${report.status}`, ...lines].join("\n");
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
