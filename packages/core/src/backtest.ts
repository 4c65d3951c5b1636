import { INTERVAL_MS } from "./bar";
import type { EngineConfigInput } from "./engine-config";
import { TradingEngine } from "./engine";
import type { EngineEvent } from "./events";
import type { Universe } from "./instrument";
import type { QuoteRejectReason } from "./quote-guard";
import { MarketSimulator, MS_PER_YEAR, type SimulatorConfig } from "./simulator";
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
  fills: number;
  /** Fills that reduced or closed a position. */
  closingTrades: number;
  /** Share of closing trades with positive realized PnL. */
  winRate: number;
  /** Annualised from per-bar equity returns. */
  sharpe: number;
  maxDrawdown: number;
  halted: boolean;
  symbols: SymbolReport[];
  equityCurve: { ts: number; equity: number }[];
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
}

/** Runs the live engine over a finite tick stream in-process and reports the outcome. */
export function runBacktest(input: BacktestInput): BacktestReport {
  const engine = new TradingEngine(input.engine, input.universe);
  const counts = new Map<string, { signals: number; orders: number; rejected: number; fills: Map<string, number> }>();
  const countsFor = (id: string) => {
    let c = counts.get(id);
    if (!c) counts.set(id, (c = { signals: 0, orders: 0, rejected: 0, fills: new Map() }));
    return c;
  };
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
    for (const event of outcome.status === "applied" ? outcome.events : []) {
      switch (event.type) {
        case "signal.generated":
          countsFor(event.data.strategyId).signals += 1;
          break;
        case "order.submitted":
          countsFor(event.data.strategyId).orders += 1;
          break;
        case "order.rejected":
          countsFor(event.data.strategyId).rejected += 1;
          break;
        case "order.filled": {
          const fills = countsFor(event.data.strategyId).fills;
          fills.set(event.data.symbol, (fills.get(event.data.symbol) ?? 0) + 1);
          break;
        }
        default:
          break;
      }
      input.onEvent?.(event);
    }
    n += 1;
    if (input.onProgress && n % every === 0) input.onProgress(n);
  }
  if (lastTs !== null) engine.sampleEquity(lastTs);

  const strategies = engine.strategies().map((s): StrategyReport => {
    const p = engine.portfolio(s.id);
    const c = countsFor(s.id);
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
      fills: symbols.reduce((sum, x) => sum + x.fills, 0),
      closingTrades: p.closingFills,
      winRate: p.closingFills === 0 ? 0 : p.winningFills / p.closingFills,
      sharpe: sharpeRatio(
        p.equityCurve.map((e) => e.equity),
        INTERVAL_MS[s.interval],
      ),
      maxDrawdown: p.maxDrawdown,
      halted: p.halted,
      symbols,
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
  };
}

/** Annualised Sharpe ratio (zero risk-free rate) of an equity series sampled every periodMs. */
export function sharpeRatio(equity: readonly number[], periodMs: number): number {
  if (equity.length < 3) return 0;
  const returns: number[] = [];
  for (let i = 1; i < equity.length; i++) returns.push(equity[i]! / equity[i - 1]! - 1);
  const mu = returns.reduce((a, b) => a + b, 0) / returns.length;
  const variance = returns.reduce((a, r) => a + (r - mu) ** 2, 0) / (returns.length - 1);
  if (variance === 0) return 0;
  return (mu / Math.sqrt(variance)) * Math.sqrt(MS_PER_YEAR / periodMs);
}

/** A finite stream of simulated ticks. */
export function* simulatedTicks(config: SimulatorConfig, count: number): Generator<QuoteTick> {
  const simulator = new MarketSimulator(config);
  for (let i = 0; i < count; i++) yield simulator.next();
}

function roundMoney(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
