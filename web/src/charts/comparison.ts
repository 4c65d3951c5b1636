import type { LineData, UTCTimestamp } from "lightweight-charts";
import type { EquityPoint, Portfolio, Strategy } from "../api/types";
import { chartTime } from "./create-chart";

/**
 * The strategy comparison's figures, as pure functions: each strategy's curve for the overlay,
 * its win rate and Sharpe, and whether the strategies add up to the portfolio.
 */

/** How far back the comparison looks: its curves and its Sharpe ratios cover this window. */
export const COMPARISON_WINDOW_MS = 2 * 60 * 60_000;
/** The window's start moves in steps of this, so its query key (and request) changes every 10 minutes, not every poll. */
const WINDOW_STEP_MS = 10 * 60_000;

/** Where the comparison window starts at `now`: two hours back, floored to 10 minutes (so it spans 2h to 2h10m). */
export function comparisonFrom(now: number): number {
  return Math.floor((now - COMPARISON_WINDOW_MS) / WINDOW_STEP_MS) * WINDOW_STEP_MS;
}

/**
 * The Sharpe ratio's sampling period. Strategies sample their equity at each closed bar of their
 * own interval (1s, 1m, 5m), so per-sample ratios of two strategies would not compare; every
 * curve is first put on one grid: its last equity in each minute, carried over minutes without a
 * sample (a 5m strategy's curve has four flat minutes, then a step).
 */
export const SHARPE_PERIOD_MS = 60_000;

/**
 * Per-minute Sharpe ratio of an equity curve (oldest first), not annualised, with no risk-free
 * rate: mean / sample standard deviation (n - 1) of the minute-to-minute returns
 * e[m] / e[m-1] - 1, the curve resampled as SHARPE_PERIOD_MS says. Null with fewer than two
 * returns, or when every return is the same (a flat curve: no risk, no ratio).
 */
export function sharpeRatio(curve: readonly Pick<EquityPoint, "ts" | "equity">[]): number | null {
  const returns = periodReturns(resample(curve, SHARPE_PERIOD_MS));
  if (returns.length < 2) return null;
  const mean = returns.reduce((sum, r) => sum + r, 0) / returns.length;
  const variance = returns.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (returns.length - 1);
  const stdev = Math.sqrt(variance);
  // a float residue of identical returns is no risk either
  if (stdev <= Math.abs(mean) * 1e-12 || stdev === 0) return null;
  return mean / stdev;
}

/**
 * The last equity of each period from the first sample's period to the last's, carried over
 * periods without a sample. Samples must be oldest first.
 */
export function resample(curve: readonly Pick<EquityPoint, "ts" | "equity">[], periodMs: number): number[] {
  if (curve.length === 0) return [];
  const first = Math.floor(curve[0]!.ts / periodMs);
  const last = Math.floor(curve.at(-1)!.ts / periodMs);
  const values = new Array<number>(last - first + 1);
  let i = 0;
  let equity = curve[0]!.equity;
  for (let period = first; period <= last; period += 1) {
    while (i < curve.length && Math.floor(curve[i]!.ts / periodMs) === period) equity = curve[i++]!.equity;
    values[period - first] = equity;
  }
  return values;
}

function periodReturns(values: readonly number[]): number[] {
  const returns: number[] = [];
  for (let i = 1; i < values.length; i += 1) returns.push(values[i]! / values[i - 1]! - 1);
  return returns;
}

/** Winning closing fills over closing fills (a fill that reduced a position); null before the first. */
export function winRate(account: Pick<Strategy["portfolio"], "winningFills" | "closingFills">): number | null {
  return account.closingFills > 0 ? account.winningFills / account.closingFills : null;
}

/** One row of the comparison table. */
export interface ComparisonRow {
  strategyId: string;
  netPnl: number;
  fees: number;
  /** Null before the first closing fill. */
  winRate: number | null;
  maxDrawdown: number;
  /** Null until the window holds two minutes of returns, and for a flat curve. */
  sharpe: number | null;
}

/** A row per strategy: its account (from /api/strategies) and the Sharpe of its curve (absent while it loads). */
export function comparisonRows(
  strategies: readonly Strategy[],
  curves: ReadonlyMap<string, readonly EquityPoint[]>,
): ComparisonRow[] {
  return strategies.map((s) => {
    const curve = curves.get(s.id);
    return {
      strategyId: s.id,
      netPnl: s.portfolio.netPnl,
      fees: s.portfolio.fees,
      winRate: winRate(s.portfolio),
      maxDrawdown: s.portfolio.maxDrawdown,
      sharpe: curve === undefined ? null : sharpeRatio(curve),
    };
  });
}

/** Money is kept in cents: totals within half a cent of each other agree. */
export const RECONCILE_TOLERANCE = 0.005;

/** What does not add up between the strategies and the portfolio; all empty when it reconciles. */
export interface Reconciliation {
  ok: boolean;
  /** Sum of the strategies' net PnL less the portfolio's (0 within the tolerance). */
  netPnlGap: number;
  /** The same for fees. */
  feesGap: number;
  /** Strategies running that the portfolio's sample does not hold (added since the sample). */
  missing: string[];
}

/**
 * Whether the strategies add up to the portfolio: the sum of their net PnL and of their fees
 * against the portfolio's, within RECONCILE_TOLERANCE. The sums are taken over the accounts the
 * portfolio sample itself carries (`portfolio.strategies`): the live accounts of /api/strategies
 * move with every quote, the read side's sample once per closed bar, so comparing those would
 * warn on every tick. `running` names the strategies /api/strategies lists, so one the sample
 * does not hold yet is reported too.
 */
export function reconcile(portfolio: Portfolio, running: readonly string[]): Reconciliation {
  const sum = (pick: (a: Portfolio["strategies"][number]) => number) =>
    portfolio.strategies.reduce((total, a) => total + pick(a), 0);
  const round = (x: number) => Math.round(x * 100) / 100;
  const netPnlGap = round(sum((a) => a.netPnl) - portfolio.netPnl);
  const feesGap = round(sum((a) => a.fees) - portfolio.fees);
  const sampled = new Set(portfolio.strategies.map((a) => a.strategyId));
  const missing = running.filter((id) => !sampled.has(id));
  const close = (gap: number) => Math.abs(gap) < RECONCILE_TOLERANCE;
  return {
    ok: close(netPnlGap) && close(feesGap) && missing.length === 0,
    netPnlGap: close(netPnlGap) ? 0 : netPnlGap,
    feesGap: close(feesGap) ? 0 : feesGap,
    missing,
  };
}

/**
 * A strategy's curve for the overlay, as net PnL (equity - starting cash, so strategies with
 * different starting cash share one axis from zero), one point per chart second (the library's
 * unit): the last sample of each second wins.
 */
export function comparisonLine(curve: readonly Pick<EquityPoint, "ts" | "netPnl">[]): LineData<UTCTimestamp>[] {
  const points: LineData<UTCTimestamp>[] = [];
  for (const sample of curve) {
    const time = chartTime(sample.ts);
    if (points.at(-1)?.time === time) points[points.length - 1] = { time, value: sample.netPnl };
    else points.push({ time, value: sample.netPnl });
  }
  return points;
}
