export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

/** Nearest-rank percentile. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

export interface LatencySummary {
  /** How many latencies the percentiles are of. */
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank p50 and p99 (as `percentile`) and the maximum of latencies in ms, sorted once; NaN for none. */
export function summarizeLatencies(xs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  const rank = (p: number) => (n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!);
  return { samples: n, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: n === 0 ? Number.NaN : sorted[n - 1]! };
}
