import type { Candidate, Objective, ParamAxis, RunFigures } from "@tickflow/core";

/** What `tickflow optimize --json` prints. */
export interface RankedRow {
  rank: number;
  params: Candidate;
  value: number | null;
  excluded: boolean;
  figures: RunFigures;
}

export interface WindowResult {
  inSample: { from: number; to: number };
  outOfSample: { from: number; to: number };
  best: Candidate;
  inSampleValue: number | null;
  /** The best in-sample candidate's figures over the out-of-sample window. */
  figures: RunFigures;
}

export interface OptimizeResult {
  strategy: string;
  objective: Objective;
  maxDrawdownBound: number | null;
  axes: ParamAxis[];
  search: "grid" | "random";
  candidates: number;
  /** Candidates the strategy's parameter schema refuses (fast >= slow), with why. */
  skipped: { params: Candidate; reason: string }[];
  /** Over the whole run (without walk-forward), or the mean in-sample value over the windows. */
  ranked: RankedRow[];
  walkForward: {
    inSampleMs: number;
    outOfSampleMs: number;
    windows: WindowResult[];
    /** Out-of-sample totals: net PnL and fees summed, the worst drawdown of any window. */
    outOfSample: { netPnl: number; fees: number; maxDrawdown: number; windows: number };
  } | null;
}
