import {
  runBacktest,
  simulatedTicks,
  Universe,
  type Candidate,
  type EngineConfigInput,
  type QuoteTick,
  type RunFigures,
} from "@tickflow/core";

/** What every backtest of a search shares: the strategy, the ticks it runs over and the engine settings. */
export interface SearchSetup {
  kind: string;
  symbols: string[];
  seed: string;
  ticks: number;
  tickMs: number;
  /** Parameters every candidate starts from (--params); the candidate's own win. */
  baseParams: Record<string, unknown>;
  execution: EngineConfigInput["execution"];
  risk: EngineConfigInput["risk"];
  startingCash: number | undefined;
}

/** One backtest: a candidate over the ticks in [from, to) of event time (the whole run when null). */
export interface SearchTask {
  id: number;
  params: Candidate;
  from: number | null;
  to: number | null;
}

const universe = new Universe();
let cache: { key: string; ticks: QuoteTick[] } | null = null;

/** The setup's ticks, simulated once per thread: the same seed gives every thread the same stream. */
export function searchTicks(setup: SearchSetup): QuoteTick[] {
  const key = JSON.stringify([setup.symbols, setup.seed, setup.ticks, setup.tickMs]);
  if (cache?.key !== key) {
    const instruments = universe.select(setup.symbols);
    const config = { instruments, seed: setup.seed, tickIntervalMs: setup.tickMs };
    cache = { key, ticks: [...simulatedTicks(config, setup.ticks)] };
  }
  return cache.ticks;
}

/** First index of a tick at or after ts (the stream is in event-time order). */
function lowerBound(ticks: readonly QuoteTick[], ts: number): number {
  let lo = 0;
  let hi = ticks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ticks[mid]!.tsEvent < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function engineConfig(setup: SearchSetup, params: Candidate): EngineConfigInput {
  return {
    strategies: [
      { id: setup.kind, kind: setup.kind, symbols: setup.symbols, params: { ...setup.baseParams, ...params } },
    ],
    execution: setup.execution,
    risk: setup.risk,
    startingCash: setup.startingCash,
  };
}

/** Runs one task's backtest and keeps what the search ranks by. */
export function evaluate(setup: SearchSetup, task: SearchTask): RunFigures {
  const all = searchTicks(setup);
  const ticks =
    task.from === null || task.to === null ? all : all.slice(lowerBound(all, task.from), lowerBound(all, task.to));
  const report = runBacktest({ engine: engineConfig(setup, task.params), universe, ticks });
  const s = report.strategies[0]!;
  const p = s.performance;
  return {
    netPnl: s.netPnl,
    fees: s.fees,
    fills: s.fills,
    trades: p.trades,
    // annualised when the run is long enough, else per period: every candidate of a search runs over the same span
    sharpe: p.sharpe.value ?? p.sharpe.perPeriod,
    profitFactor: p.profitFactor,
    winRateNet: p.winRateNet,
    maxDrawdown: p.drawdown.maxDrawdown,
  };
}
