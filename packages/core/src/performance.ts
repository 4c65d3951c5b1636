import { MS_PER_YEAR } from "./simulator";
import { divRoundHalfEven, fromMicros, toMicros, type Micros } from "./money";

/*
 * The backtest's performance figures, as pure functions of plain inputs: the closed round trips
 * (`trade.closed` data), the equity curve and the run's span. No engine, no I/O: a report built
 * from recorded events gives the same figures as the backtest that made them.
 *
 * Money comes in as decimals (the events' edge) and is summed in micros, so totals are exact;
 * ratios (win rate, profit factor, Sharpe) are plain doubles.
 */

/** A closed round trip: the fields of `trade.closed` the figures read (the event's data is structurally one). */
export interface ClosedTrade {
  readonly symbol: string;
  readonly side: "long" | "short";
  readonly quantity: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly entryTs: number;
  readonly exitTs: number;
  readonly holdingMs: number;
  readonly grossPnl: number;
  readonly fees: number;
  readonly netPnl: number;
  /** Worst open PnL during the trade, <= 0. */
  readonly maxAdverseExcursion: number;
  /** Best open PnL during the trade, >= 0. */
  readonly maxFavorableExcursion: number;
}

/** Figures of a set of closed trades (one strategy, or one symbol of it). */
export interface TradeStats {
  trades: number;
  wins: number;
  losses: number;
  /** Sum of the trades' net PnL (after fees). */
  netPnl: number;
  grossPnl: number;
  fees: number;
  /** Share of trades whose net PnL (after fees) is positive; null without trades. */
  winRateNet: number | null;
  /** Sum of winning net PnL over the absolute sum of losing net PnL; null without a losing trade. */
  profitFactor: number | null;
  /** Mean net PnL of the winning trades; null without one. */
  averageWin: number | null;
  /** Mean net PnL of the losing trades (negative); null without one. */
  averageLoss: number | null;
  /** Mean net PnL per trade; null without trades. */
  expectancy: number | null;
  /** Time with at least one trade open (overlaps counted once) over the run time, 0..1. */
  exposure: number;
  /** Traded notional (every fill, both legs) over starting cash. */
  turnover: number;
}

export interface DrawdownStats {
  /** Largest fall from the highest equity since start, as a fraction of that peak. */
  maxDrawdown: number;
  /** The same fall in money. */
  maxDrawdownAmount: number;
  /** When the peak before the largest fall was set, the trough, and when equity got back to the peak (null: not by the end). */
  peakTs: number | null;
  troughTs: number | null;
  recoveredTs: number | null;
  /** From the peak to the recovery, or to the end of the run when equity did not recover. */
  durationMs: number;
}

/** The fixed period equity is resampled to for the ratios, and how it annualises. */
export interface ReturnPeriod {
  /** "1s", "1m", "1h" or "1d". */
  period: string;
  periodMs: number;
  /** Whole periods in the run: the number of returns. */
  periods: number;
  /** Periods per year (a year is 365.25 days: the simulated markets trade around the clock). */
  periodsPerYear: number;
  /** sqrt(periodsPerYear): what the per-period ratio is multiplied by. */
  annualisation: number;
  /** Whether the ratios are annualised: only from hourly or daily returns (see MIN_ANNUALISED_PERIOD_MS). */
  annualised: boolean;
}

/** An annualised ratio, or why there is none. */
export interface RatioFigure {
  /** perPeriod times the annualisation factor. */
  value: number | null;
  /** The ratio of the per-period returns before annualising. */
  perPeriod: number | null;
  /** Why value is null, e.g. "n/a: 12 periods, need 30". */
  note: string | null;
}

export interface BenchmarkInput {
  symbol: string;
  firstMid: number;
  lastMid: number;
}

/** Buying `notional` of the symbol at the run's first mid and holding it to the last, without fees or spread. */
export interface Benchmark {
  symbol: string;
  notional: number;
  firstMid: number;
  lastMid: number;
  pnl: number;
  /** (lastMid - firstMid) / firstMid. */
  return: number;
}

export interface SymbolPerformance extends TradeStats {
  symbol: string;
  benchmark: Benchmark | null;
}

export interface StrategyPerformance extends TradeStats {
  runMs: number;
  drawdown: DrawdownStats;
  returns: ReturnPeriod;
  sharpe: RatioFigure;
  sortino: RatioFigure;
  /** Buy-and-hold of every symbol the strategy trades, each with the same notional. */
  benchmark: { notional: number; pnl: number; return: number };
  symbols: SymbolPerformance[];
}

export interface PerformanceInput {
  startingCash: number;
  /** The run's first and last tick. */
  startTs: number;
  endTs: number;
  /** Equity samples, oldest first; equity is startingCash before the first one. */
  equityCurve: readonly { ts: number; equity: number }[];
  trades: readonly ClosedTrade[];
  /** The symbols traded, in report order. */
  symbols: readonly string[];
  /** Notional of every fill per symbol, both legs, in micros. */
  tradedNotional: Readonly<Record<string, Micros>>;
  /** Per symbol, the first and last mid of the run (absent for a symbol that had no quote). */
  benchmarks: readonly BenchmarkInput[];
  /** What each buy-and-hold position is worth at entry: the strategy's tradeNotional, so it compares with one signal's position. */
  benchmarkNotional: number;
}

/** Fewer returns than this and Sharpe and Sortino say n/a: a ratio over a handful of periods is noise. */
export const MIN_RETURN_PERIODS = 30;

/**
 * The finest period a ratio is annualised from. Scaling minute returns by √525,960 turns a run of
 * an hour or two into a yearly figure in the hundreds or thousands (the -1,124 of an 83-minute
 * run): such a run keeps its per-minute ratio, labelled so, and no annualised number.
 */
export const MIN_ANNUALISED_PERIOD_MS = 3_600_000;

/**
 * The periods equity is resampled to, coarsest first: the coarsest with enough whole periods in
 * the run is used. None is finer than a minute: second-to-second equity moves with the bid-ask
 * bounce of the marks, not with the strategy, and annualising it multiplies that noise by 5,618
 * (a 1-second Sharpe of -0.2 printed as -1,124). A run shorter than 30 minutes has no ratio.
 */
export const RETURN_PERIODS: readonly { period: string; periodMs: number }[] = [
  { period: "1d", periodMs: 86_400_000 },
  { period: "1h", periodMs: 3_600_000 },
  { period: "1m", periodMs: 60_000 },
];

export function strategyPerformance(input: PerformanceInput): StrategyPerformance {
  const runMs = Math.max(0, input.endTs - input.startTs);
  const cash = toMicros(input.startingCash);
  const total = tradeStats(input.trades, runMs, cash, sumValues(input.tradedNotional));
  const symbols = input.symbols.map((symbol): SymbolPerformance => {
    const stats = tradeStats(
      input.trades.filter((t) => t.symbol === symbol),
      runMs,
      cash,
      input.tradedNotional[symbol] ?? 0,
    );
    const mids = input.benchmarks.find((b) => b.symbol === symbol);
    return { symbol, ...stats, benchmark: mids ? buyAndHold(mids, input.benchmarkNotional) : null };
  });
  const held = symbols.flatMap((s) => (s.benchmark ? [s.benchmark] : []));
  const benchPnl = held.reduce((sum, b) => sum + toMicros(b.pnl), 0);
  const benchNotional = toMicros(input.benchmarkNotional) * held.length;
  const returns = returnPeriod(runMs);
  const series = resampledReturns(
    input.equityCurve,
    input.startingCash,
    input.startTs,
    returns.periodMs,
    returns.periods,
  );
  return {
    ...total,
    runMs,
    drawdown: drawdownStats(input.equityCurve, input.startingCash, input.startTs, input.endTs),
    returns,
    sharpe: annualisedOnly(sharpe(series, returns.annualisation), returns),
    sortino: annualisedOnly(sortino(series, returns.annualisation), returns),
    benchmark: {
      notional: fromMicros(benchNotional),
      pnl: fromMicros(benchPnl),
      return: benchNotional === 0 ? 0 : benchPnl / benchNotional,
    },
    symbols,
  };
}

/** The trade figures of `trades` over a run of `runMs`, with turnover against `startingCash` (micros). */
export function tradeStats(
  trades: readonly ClosedTrade[],
  runMs: number,
  startingCash: Micros,
  tradedNotional: Micros,
): TradeStats {
  let wins = 0;
  let losses = 0;
  let won: Micros = 0;
  let lost: Micros = 0;
  let net: Micros = 0;
  let gross: Micros = 0;
  let fees: Micros = 0;
  for (const t of trades) {
    const pnl = toMicros(t.netPnl);
    net += pnl;
    gross += toMicros(t.grossPnl);
    fees += toMicros(t.fees);
    if (pnl > 0) {
      wins += 1;
      won += pnl;
    } else if (pnl < 0) {
      losses += 1;
      lost += pnl;
    }
  }
  const n = trades.length;
  return {
    trades: n,
    wins,
    losses,
    netPnl: fromMicros(net),
    grossPnl: fromMicros(gross),
    fees: fromMicros(fees),
    winRateNet: n === 0 ? null : wins / n,
    profitFactor: losses === 0 ? null : won / -lost,
    averageWin: wins === 0 ? null : fromMicros(divRoundHalfEven(won, wins)),
    averageLoss: losses === 0 ? null : fromMicros(divRoundHalfEven(lost, losses)),
    expectancy: n === 0 ? null : fromMicros(divRoundHalfEven(net, n)),
    exposure: runMs === 0 ? 0 : Math.min(1, timeInMarket(trades) / runMs),
    turnover: startingCash === 0 ? 0 : tradedNotional / startingCash,
  };
}

/** Length of the union of the trades' [entryTs, exitTs] intervals: overlapping trades count once. */
export function timeInMarket(trades: readonly ClosedTrade[]): number {
  const spans = trades.map((t) => [t.entryTs, t.exitTs] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let total = 0;
  let start = -Infinity;
  let end = -Infinity;
  for (const [s, e] of spans) {
    if (s > end) {
      if (end > start) total += end - start;
      start = s;
      end = e;
    } else if (e > end) {
      end = e;
    }
  }
  if (end > start) total += end - start;
  return total;
}

/**
 * Largest fall from the highest equity since start (the starting cash at startTs is the first
 * peak), with when it began (the last time equity stood at that peak), bottomed and got back to
 * the peak. Of equal falls the first is kept.
 */
export function drawdownStats(
  curve: readonly { ts: number; equity: number }[],
  startingCash: number,
  startTs: number,
  endTs: number,
): DrawdownStats {
  let peak = toMicros(startingCash);
  let peakTs = startTs;
  let worst = 0;
  let worstAmount: Micros = 0;
  let worstPeakTs = startTs;
  let troughTs: number | null = null;
  let recoveredTs: number | null = null;
  for (const point of curve) {
    const eq = toMicros(point.equity);
    if (eq >= peak) {
      // the first time back at (or above) the worst fall's peak is its recovery
      if (troughTs !== null && recoveredTs === null) recoveredTs = point.ts;
      peak = eq;
      peakTs = point.ts;
      continue;
    }
    const dd = (peak - eq) / peak;
    if (dd > worst) {
      worst = dd;
      worstAmount = peak - eq;
      worstPeakTs = peakTs;
      troughTs = point.ts;
      recoveredTs = null;
    }
  }
  if (troughTs === null)
    return { maxDrawdown: 0, maxDrawdownAmount: 0, peakTs: null, troughTs: null, recoveredTs: null, durationMs: 0 };
  return {
    maxDrawdown: worst,
    maxDrawdownAmount: fromMicros(worstAmount),
    peakTs: worstPeakTs,
    troughTs,
    recoveredTs,
    durationMs: (recoveredTs ?? Math.max(endTs, troughTs)) - worstPeakTs,
  };
}

/** The coarsest period of RETURN_PERIODS with at least MIN_RETURN_PERIODS whole periods in the run (the finest, a minute, when none has). */
export function returnPeriod(runMs: number): ReturnPeriod {
  const choice =
    RETURN_PERIODS.find((p) => Math.floor(runMs / p.periodMs) >= MIN_RETURN_PERIODS) ?? RETURN_PERIODS.at(-1)!;
  const periodsPerYear = MS_PER_YEAR / choice.periodMs;
  return {
    period: choice.period,
    periodMs: choice.periodMs,
    periods: Math.floor(runMs / choice.periodMs),
    periodsPerYear,
    annualisation: Math.sqrt(periodsPerYear),
    annualised: choice.periodMs >= MIN_ANNUALISED_PERIOD_MS,
  };
}

/** The ratio as is when its period may be annualised; else its per-period value only, and why. */
function annualisedOnly(r: RatioFigure, returns: ReturnPeriod): RatioFigure {
  if (returns.annualised || r.perPeriod === null) return r;
  return {
    value: null,
    perPeriod: r.perPeriod,
    note: `${r.perPeriod.toFixed(4)} per ${returns.period}, not annualised: ${returns.periods} ${returns.period} periods, need ${MIN_RETURN_PERIODS} hours`,
  };
}

/**
 * Returns of equity sampled at startTs + k·periodMs, k = 1..periods: equity at a boundary is the
 * last sample at or before it (startingCash before the first), so a period without a sample has
 * a zero return. The part of the run after the last whole period is left out.
 */
export function resampledReturns(
  curve: readonly { ts: number; equity: number }[],
  startingCash: number,
  startTs: number,
  periodMs: number,
  periods: number,
): number[] {
  const returns: number[] = [];
  let i = 0;
  let equity = startingCash;
  let previous = startingCash;
  for (let k = 1; k <= periods; k++) {
    const boundary = startTs + k * periodMs;
    while (i < curve.length && curve[i]!.ts <= boundary) equity = curve[i++]!.equity;
    returns.push(equity / previous - 1);
    previous = equity;
  }
  return returns;
}

function tooShort(returns: readonly number[]): RatioFigure | null {
  return returns.length < MIN_RETURN_PERIODS
    ? { value: null, perPeriod: null, note: `n/a: ${returns.length} periods, need ${MIN_RETURN_PERIODS}` }
    : null;
}

/** mean / sample standard deviation of the returns, times the annualisation factor (zero risk-free rate). */
export function sharpe(returns: readonly number[], annualisation: number): RatioFigure {
  const short = tooShort(returns);
  if (short) return short;
  const n = returns.length;
  const mu = returns.reduce((a, b) => a + b, 0) / n;
  const variance = returns.reduce((a, r) => a + (r - mu) ** 2, 0) / (n - 1);
  if (variance === 0) return { value: null, perPeriod: null, note: "n/a: equity did not move" };
  const perPeriod = mu / Math.sqrt(variance);
  return { value: perPeriod * annualisation, perPeriod, note: null };
}

/** mean / downside deviation (root mean square of min(r, 0) over every period), times the annualisation factor. */
export function sortino(returns: readonly number[], annualisation: number): RatioFigure {
  const short = tooShort(returns);
  if (short) return short;
  const n = returns.length;
  const mu = returns.reduce((a, b) => a + b, 0) / n;
  const downside = returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / n;
  if (downside === 0) return { value: null, perPeriod: null, note: "n/a: no losing period" };
  const perPeriod = mu / Math.sqrt(downside);
  return { value: perPeriod * annualisation, perPeriod, note: null };
}

export function buyAndHold(mids: BenchmarkInput, notional: number): Benchmark {
  const ret = (mids.lastMid - mids.firstMid) / mids.firstMid;
  return {
    symbol: mids.symbol,
    notional,
    firstMid: mids.firstMid,
    lastMid: mids.lastMid,
    pnl: fromMicros(Math.round(toMicros(notional) * ret)),
    return: ret,
  };
}

function sumValues(values: Readonly<Record<string, Micros>>): Micros {
  let sum = 0;
  for (const v of Object.values(values)) sum += v;
  return sum;
}
