import { INTERVAL_MS } from "./bar";
import type { EngineConfigInput } from "./engine-config";
import { TradingEngine } from "./engine";
import type { EngineEvent } from "./events";
import type { RejectReason } from "./orders";
import { fromPriceUnits, toPriceUnits, type Instrument, type Universe } from "./instrument";
import { notionalMicros, type Micros } from "./money";
import { strategyPerformance, type ClosedTrade, type StrategyPerformance } from "./performance";
import type { QuoteRejectReason } from "./quote-guard";
import { MarketSimulator, type SimulatorConfig } from "./simulator";
import { STRATEGIES } from "./strategies";
import type { QuoteTick } from "./tick";

export interface BacktestInput {
  engine: EngineConfigInput;
  universe: Universe;
  ticks: Iterable<QuoteTick>;
  /** Called with every event the engine emits (fills for parity checks, signals for plots). */
  onEvent?: (event: EngineEvent) => void;
  /** Called every `progressEvery` ticks with the count so far. */
  onProgress?: (ticks: number) => void;
  progressEvery?: number;
}

export interface SymbolReport {
  symbol: string;
  fills: number;
  position: number;
  averagePrice: number;
  realizedPnl: number;
  unrealizedPnl: number;
  fees: number;
  netPnl: number;
}

export interface StrategyReport {
  id: string;
  kind: string;
  interval: string;
  params: Record<string, unknown>;
  startingCash: number;
  finalEquity: number;
  netPnl: number;
  realizedPnl: number;
  unrealizedPnl: number;
  fees: number;
  signals: number;
  orders: number;
  rejected: number;
  /** Orders the risk gate refused, by reason. */
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** Fills (an order can fill in several, one event each). */
  fills: number;
  /** Fills that reduced or closed a position. */
  closingTrades: number;
  /** Share of closing fills with positive realized PnL, before fees (performance.winRateNet is per round trip, after fees). */
  winRate: number;
  /** The engine's largest fall from the equity peak, checked on every quote. */
  maxDrawdown: number;
  halted: boolean;
  /** Closed bars of the strategy's interval it needs before it can signal, and about how many the run had (the fewest of its symbols). */
  warmup: { bars: number; barsInRun: number };
  symbols: SymbolReport[];
  /** Closed round trips, oldest first. */
  trades: ClosedTrade[];
  performance: StrategyPerformance;
  equityCurve: { ts: number; equity: number }[];
}

/** One symbol's mids as the backtest saw them, at most MAX_PRICE_POINTS of them. */
export interface PriceSeries {
  symbol: string;
  points: { ts: number; mid: number }[];
}

export interface BacktestReport {
  ticks: number;
  firstTs: number | null;
  lastTs: number | null;
  duplicateTicks: number;
  missingTicks: number;
  /** Quotes the quote guard refused, by reason (live, they go to the DLQ). */
  rejectedTicks: Partial<Record<QuoteRejectReason, number>>;
  strategies: StrategyReport[];
  /** What a reader should know before trusting the figures (a run shorter than a warm-up). */
  warnings: string[];
  prices: PriceSeries[];
}

/** Price points kept per symbol for the report's chart: enough for a screen, bounded for any run. */
export const MAX_PRICE_POINTS = 1_000;

interface Counts {
  signals: number;
  orders: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  fills: Map<string, number>;
  trades: ClosedTrade[];
  /** Notional of every fill by symbol, in micros. */
  traded: Record<string, Micros>;
}

/** Runs the live engine over a finite tick stream in-process and reports the outcome. */
export function runBacktest(input: BacktestInput): BacktestReport {
  const engine = new TradingEngine(input.engine, input.universe);
  const counts = new Map<string, Counts>();
  const countsFor = (id: string) => {
    let c = counts.get(id);
    if (!c)
      counts.set(
        id,
        (c = {
          signals: 0,
          orders: 0,
          rejected: 0,
          rejectedByReason: {},
          fills: new Map(),
          trades: [],
          traded: {},
        }),
      );
    return c;
  };
  const traces = new Map<string, MidTrace>();
  const traceList: MidTrace[] = [];
  const every = input.progressEvery ?? 100_000;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let n = 0;
  const rejectedTicks: BacktestReport["rejectedTicks"] = {};
  for (const tick of input.ticks) {
    if (firstTs === null) firstTs = tick.tsEvent;
    lastTs = tick.tsEvent;
    const outcome = engine.onQuote(tick);
    if (outcome.status === "rejected") rejectedTicks[outcome.reason] = (rejectedTicks[outcome.reason] ?? 0) + 1;
    if (outcome.status === "applied") {
      // a scan of a handful of symbols by identity is cheaper per quote than a Map lookup
      let trace: MidTrace | undefined;
      for (let i = 0; i < traceList.length; i++) if (traceList[i]!.symbol === tick.symbol) trace = traceList[i];
      if (!trace) {
        trace = new MidTrace(input.universe.get(tick.symbol), MAX_PRICE_POINTS);
        traces.set(tick.symbol, trace);
        traceList.push(trace);
      }
      trace.add(tick);
    }
    for (const event of outcome.status === "applied" ? outcome.events : []) {
      switch (event.type) {
        case "signal.generated":
          countsFor(event.data.strategyId).signals += 1;
          break;
        case "order.submitted":
          countsFor(event.data.strategyId).orders += 1;
          break;
        case "order.rejected": {
          const c = countsFor(event.data.strategyId);
          c.rejected += 1;
          c.rejectedByReason[event.data.reason] = (c.rejectedByReason[event.data.reason] ?? 0) + 1;
          break;
        }
        case "order.filled": {
          const { symbol, price, quantity } = event.data;
          const c = countsFor(event.data.strategyId);
          c.fills.set(symbol, (c.fills.get(symbol) ?? 0) + 1);
          const instrument = input.universe.get(symbol);
          const notional = notionalMicros(
            toPriceUnits(price, instrument),
            Math.round(quantity * instrument.sizeScale),
            instrument,
          );
          c.traded[symbol] = (c.traded[symbol] ?? 0) + notional;
          break;
        }
        case "trade.closed":
          countsFor(event.data.strategyId).trades.push(event.data);
          break;
        default:
          break;
      }
      input.onEvent?.(event);
    }
    n += 1;
    if (input.onProgress && n % every === 0) input.onProgress(n);
  }
  if (lastTs !== null) engine.sampleEquity(lastTs);

  const warnings: string[] = [];
  const strategies = engine.strategies().map((s): StrategyReport => {
    const p = engine.portfolio(s.id);
    const c = countsFor(s.id);
    const strategyTrades = c.trades;
    const intervalMs = INTERVAL_MS[s.interval];
    const warmupBars = STRATEGIES.get(s.kind)?.warmupBars(s.params) ?? 0;
    const barsInRun = Math.min(...s.symbols.map((symbol) => traces.get(symbol)?.barsClosed(intervalMs) ?? 0));
    if (barsInRun < warmupBars)
      warnings.push(
        `${s.id}: the run has about ${barsInRun} ${s.interval} bars, fewer than its warm-up of ${warmupBars}: it cannot signal before that many, so its figures say little`,
      );
    const symbols = p.positions.map((pos) => ({
      symbol: pos.symbol,
      fills: c.fills.get(pos.symbol) ?? 0,
      position: pos.quantity,
      averagePrice: pos.averagePrice,
      realizedPnl: pos.realizedPnl,
      unrealizedPnl: pos.unrealizedPnl,
      fees: pos.fees,
      netPnl: roundMoney(pos.realizedPnl + pos.unrealizedPnl - pos.fees),
    }));
    return {
      id: s.id,
      kind: s.kind,
      interval: s.interval,
      params: s.params,
      startingCash: p.startingCash,
      finalEquity: p.equity,
      netPnl: p.netPnl,
      realizedPnl: p.realizedPnl,
      unrealizedPnl: p.unrealizedPnl,
      fees: p.fees,
      signals: c.signals,
      orders: c.orders,
      rejected: c.rejected,
      rejectedByReason: c.rejectedByReason,
      fills: symbols.reduce((sum, x) => sum + x.fills, 0),
      closingTrades: p.closingFills,
      winRate: p.closingFills === 0 ? 0 : p.winningFills / p.closingFills,
      maxDrawdown: p.maxDrawdown,
      halted: p.halted,
      warmup: { bars: warmupBars, barsInRun },
      symbols,
      trades: strategyTrades,
      performance: strategyPerformance({
        startingCash: p.startingCash,
        startTs: firstTs ?? 0,
        endTs: lastTs ?? 0,
        equityCurve: p.equityCurve,
        trades: strategyTrades,
        symbols: s.symbols,
        tradedNotional: c.traded,
        benchmarks: s.symbols.flatMap((symbol) => traces.get(symbol)?.benchmark() ?? []),
        benchmarkNotional: s.params.tradeNotional as number,
      }),
      equityCurve: p.equityCurve,
    };
  });
  return {
    ticks: n,
    firstTs,
    lastTs,
    duplicateTicks: engine.stats.duplicateTicks,
    missingTicks: engine.stats.missingTicks,
    rejectedTicks,
    strategies,
    warnings,
    prices: [...traces.values()].map((t) => t.series()),
  };
}

/**
 * One symbol's first and last mid, and its mids downsampled for a chart: the last quote of each
 * time bucket, the buckets doubling in width whenever more than `limit` of them are kept, so any
 * run keeps at most `limit` points, spread evenly over its time. It holds the quotes themselves
 * (the engine never changes a tick) and reads their mids only when asked, so a quote costs a
 * comparison and an assignment.
 */
export class MidTrace {
  private readonly kept: QuoteTick[] = [];
  private widthMs = 1;
  private originTs = 0;
  /** Where the last kept point's bucket ends: a quote before it replaces that point. */
  private bucketEnd = -Infinity;
  private first: QuoteTick | null = null;
  private last: QuoteTick | null = null;

  readonly symbol: string;

  constructor(
    private readonly instrument: Instrument,
    private readonly limit: number,
  ) {
    this.symbol = instrument.symbol;
  }

  add(tick: QuoteTick): void {
    const ts = tick.tsEvent;
    const n = this.kept.length;
    this.last = tick;
    if (ts < this.bucketEnd) {
      // a quote from before the last point (the guard lets a little lateness through) stays off the chart
      if (ts >= this.kept[n - 1]!.tsEvent) this.kept[n - 1] = tick;
      return;
    }
    if (n === 0) {
      this.first = tick;
      this.originTs = ts;
    }
    this.kept.push(tick);
    if (n + 1 > this.limit) this.widen();
    this.bucketEnd = this.endOf(this.kept[this.kept.length - 1]!.tsEvent);
  }

  /** Bars of `intervalMs` the symbol's quotes closed: epoch-aligned boundaries crossed between its first and last quote. */
  barsClosed(intervalMs: number): number {
    if (!this.first || !this.last) return 0;
    return Math.floor(this.last.tsEvent / intervalMs) - Math.floor(this.first.tsEvent / intervalMs);
  }

  benchmark(): { symbol: string; firstMid: number; lastMid: number }[] {
    if (!this.first || !this.last) return [];
    return [{ symbol: this.instrument.symbol, firstMid: this.mid(this.first), lastMid: this.mid(this.last) }];
  }

  series(): PriceSeries {
    return { symbol: this.instrument.symbol, points: this.kept.map((t) => ({ ts: t.tsEvent, mid: this.mid(t) })) };
  }

  /** The mid on the price grid: bid and ask in price units, halved once (a half unit is exact in binary). */
  private mid(tick: QuoteTick): number {
    const mid2 = toPriceUnits(tick.bid, this.instrument) + toPriceUnits(tick.ask, this.instrument);
    return fromPriceUnits(mid2 / 2, this.instrument);
  }

  private endOf(ts: number): number {
    return this.originTs + (Math.floor((ts - this.originTs) / this.widthMs) + 1) * this.widthMs;
  }

  /** Doubles the bucket width until the points fit, keeping the last point of each wider bucket. */
  private widen(): void {
    const kept = this.kept;
    while (kept.length > this.limit) {
      this.widthMs *= 2;
      let n = 0;
      for (let i = 0; i < kept.length; i++) {
        if (n > 0 && this.endOf(kept[n - 1]!.tsEvent) === this.endOf(kept[i]!.tsEvent)) n -= 1;
        kept[n++] = kept[i]!;
      }
      kept.length = n;
    }
  }
}

/** A finite stream of simulated ticks. */
export function* simulatedTicks(config: SimulatorConfig, count: number): Generator<QuoteTick> {
  const simulator = new MarketSimulator(config);
  for (let i = 0; i < count; i++) yield simulator.next();
}

function roundMoney(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
