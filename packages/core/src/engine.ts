import { z } from "zod";
import type { Bar } from "./bar";
import { EngineConfigSchema, type EngineConfig, type EngineConfigInput } from "./engine-config";
import { copyState, restoredState, type EngineSnapshot, type EngineState, type EngineStats } from "./engine-state";
import {
  bindWiring,
  buildWiring,
  type BarFeed,
  type SignalHandler,
  type StrategyRuntime,
  type Wiring,
} from "./engine-wiring";
import { ConfigError, TickflowError } from "./errors";
import type { EngineEvent } from "./events";
import { fromPriceUnits, type Universe } from "./instrument";
import { fromMicros } from "./money";
import { fillDue, submitOrder, type FillListener } from "./paper-execution";
import { equity, markPosition, recordEquity, updatePeak } from "./portfolio";
import { QuoteGuard, type QuoteRejection } from "./quote-guard";
import { portfolioView, strategyView } from "./read-views";
import { exposure, haltsAt, preTradeCheck, riskGate, sizeFor, type RiskGate } from "./risk-gate";
import { STRATEGIES, type FillNotice, type SignalIntent, type StrategyDefinition } from "./strategies";
import type { QuoteTick } from "./tick";
import type { Turn } from "./turn";

export type { EngineSnapshot, EngineStats } from "./engine-state";

/** What became of one quote. */
export type QuoteOutcome =
  | { status: "applied"; events: EngineEvent[] }
  /** A symbol of the universe that no strategy trades and no bar is built for. */
  | { status: "ignored" }
  | { status: "duplicate" }
  | ({ status: "rejected" } & QuoteRejection);

/**
 * The trading kernel shared by backtest and live: fed one quote at a time, it builds bars,
 * runs strategies, checks risk, fills paper orders against the next quote and books the
 * portfolio, reporting every outcome as an event. No I/O, no clock: time is the ticks' time.
 *
 * It coordinates: the quote guard admits, the risk gate decides, paper execution fills, the
 * portfolio books, the read views show. What it carries from quote to quote is one EngineState;
 * the rest is wiring built from the configuration.
 */
export class TradingEngine {
  readonly config: EngineConfig;
  private readonly guard: QuoteGuard;
  private readonly gate: RiskGate;
  private readonly wiring: Wiring;
  private state: EngineState;
  /** The state as the configuration starts it: where a strategy a snapshot cannot restore starts from. */
  private readonly initial: EngineState;
  private readonly afterFill: FillListener;

  constructor(
    config: EngineConfigInput,
    readonly universe: Universe,
    registry: ReadonlyMap<string, StrategyDefinition> = STRATEGIES,
  ) {
    const parsed = EngineConfigSchema.safeParse(config);
    if (!parsed.success) throw new ConfigError(`engine config: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.gate = riskGate(this.config.risk);
    this.guard = new QuoteGuard(this.config.quoteGuard);
    // made once here: the hot path hands these on, never a closure of its own
    const onSignal: SignalHandler = (turn, runtime, intent) => this.onSignal(turn, runtime, intent);
    this.afterFill = (turn, strategyId, fill) => this.onFill(turn, this.wiring.runtimes.get(strategyId)!, fill);
    ({ wiring: this.wiring, state: this.state } = buildWiring(this.config, universe, registry, onSignal));
    for (const runtime of this.wiring.runtimes.values()) runtime.strategy.onStart(runtime.ctx);
    this.initial = this.snapshot();
  }

  /** Counts of quotes applied and not applied (part of the engine state: a restore restores them). */
  get stats(): Readonly<EngineStats> {
    return this.state.stats;
  }

  /**
   * Feeds one quote: the quote guard admits it (or says why not) before it touches any state, and
   * an applied quote returns the events it caused, in order. `now` is the consumer's clock, when
   * it has one: a quote from further ahead than the guard's clock skew is refused.
   */
  onQuote(tick: QuoteTick, now?: number): QuoteOutcome {
    const sym = this.wiring.symbols.get(tick.symbol);
    const stats = this.state.stats;
    if (!sym) {
      if (this.universe.has(tick.symbol)) return { status: "ignored" };
      stats.rejectedTicks += 1;
      return { status: "rejected", reason: "unknown-symbol", detail: `unknown symbol "${tick.symbol.slice(0, 32)}"` };
    }
    const verdict = this.guard.admit(tick, sym.instrument, sym.state, now);
    if (verdict.kind === "duplicate") {
      stats.duplicateTicks += 1;
      return { status: "duplicate" };
    }
    if (verdict.kind === "reject") {
      stats.rejectedTicks += 1;
      return { status: "rejected", reason: verdict.reason, detail: verdict.detail };
    }
    stats.missingTicks += verdict.missing;
    stats.ticks += 1;
    const turn: Turn = { tick, events: [] };

    if (sym.state.pending.length > 0) fillDue(turn, this.config.execution, sym, this.state.strategies, this.afterFill);
    const mid2 = sym.state.bidUnits + sym.state.askUnits;
    for (const runtime of sym.strategies) {
      const account = runtime.state.account;
      const position = account.positions[tick.symbol];
      if (position && position.qty !== 0) {
        markPosition(account, position, sym.instrument, mid2);
        this.checkDrawdown(turn, runtime);
      }
    }
    for (const entry of sym.aggregators) {
      const bar = entry.aggregator.update(tick);
      if (bar) this.onBar(turn, entry, bar);
    }
    for (const runtime of sym.strategies) {
      const ctx = runtime.ctx;
      ctx.turn = turn;
      try {
        runtime.strategy.onQuote(tick, ctx);
      } finally {
        ctx.turn = null;
      }
    }
    return { status: "applied", events: turn.events };
  }

  /** Lifts a risk halt: the drawdown peak restarts from current equity. A strategy that is not halted has nothing to reset. */
  resetRisk(strategyId: string, tsEvent: number, tsInit: number = tsEvent): EngineEvent[] {
    const runtime = this.runtime(strategyId);
    const { state } = runtime;
    const { account } = state;
    if (!account.halted) return [];
    account.halted = false;
    account.peakEquity = equity(account);
    state.riskSeq += 1;
    return [
      {
        type: "risk.reset",
        id: `${runtime.id}:risk:${state.riskSeq}`,
        ts: tsEvent,
        data: { strategyId, equity: fromMicros(equity(account)), tsEvent, tsInit },
      },
    ];
  }

  /** Samples every strategy's equity now (the backtest closes its curve with this). */
  sampleEquity(tsEvent: number): void {
    for (const runtime of this.wiring.runtimes.values()) this.sample(runtime, tsEvent);
  }

  /** A deep copy of the engine state: JSON, and restoring it continues exactly where the engine stopped. */
  snapshot(): EngineSnapshot {
    // a strategy may replace its state object rather than change it in place: take the one it holds now
    for (const rt of this.wiring.runtimes.values()) rt.state.state = rt.strategy.state;
    return copyState(this.state);
  }

  /**
   * Puts the engine in the state a snapshot recorded. A strategy whose kind, parameters or
   * symbols changed since (or that no longer runs) is not restored: it starts fresh, and its
   * orders still in flight are dropped. Returns the ids of the strategies that started fresh.
   */
  restore(snapshot: EngineSnapshot): string[] {
    const { state, restarted } = restoredState(snapshot, copyState(this.initial));
    this.state = state;
    bindWiring(this.wiring, state);
    return restarted;
  }

  /** The running strategy instances with their parameters and status. */
  strategies() {
    return [...this.wiring.runtimes.values()].map((rt) => strategyView(rt, rt.state.account));
  }

  /** One strategy's account in currency units: totals, positions, equity curve, drawdown. */
  portfolio(strategyId: string) {
    const rt = this.runtime(strategyId);
    return portfolioView(strategyId, rt.symbols, rt.state.account, rt.state.equityCurve, this.universe);
  }

  private runtime(strategyId: string): StrategyRuntime {
    const rt = this.wiring.runtimes.get(strategyId);
    if (!rt)
      throw new ConfigError(
        `unknown strategy "${strategyId}"; running: ${[...this.wiring.runtimes.keys()].join(", ")}`,
      );
    return rt;
  }

  private onBar(turn: Turn, entry: BarFeed, bar: Bar): void {
    if (entry.publish)
      turn.events.push({
        type: "bar.closed",
        id: `${bar.symbol}:${bar.interval}:${bar.start}`,
        ts: bar.tsEvent,
        data: bar,
      });
    for (const runtime of entry.subscribers) {
      this.sample(runtime, bar.end);
      const ctx = runtime.ctx;
      ctx.turn = turn;
      try {
        runtime.strategy.onBar(bar, ctx);
      } finally {
        ctx.turn = null;
      }
    }
  }

  private onFill(turn: Turn, runtime: StrategyRuntime, fill: FillNotice): void {
    const ctx = runtime.ctx;
    ctx.turn = turn;
    try {
      runtime.strategy.onFill(fill, ctx);
    } finally {
      ctx.turn = null;
    }
    this.checkDrawdown(turn, runtime);
  }

  private sample(runtime: StrategyRuntime, ts: number): void {
    recordEquity(runtime.state.equityCurve, runtime.state.account, ts, this.config.equityCurveLimit);
  }

  /** A signal: published, then sized to the trade notional, put to the risk gate and sent (or rejected) as a market order. */
  private onSignal(turn: Turn, runtime: StrategyRuntime, intent: SignalIntent): void {
    const { tick } = turn;
    const target = runtime.tradedSymbol(intent.symbol);
    if (!target) throw new TickflowError(`strategy ${runtime.id} signalled ${intent.symbol}, which it does not trade`);
    const { state } = runtime;
    const n = (state.signalSeq[intent.symbol] ?? 0) + 1;
    state.signalSeq[intent.symbol] = n;
    const signalId = `${runtime.id}:${intent.symbol}:signal:${n}`;
    const { instrument } = target;
    const quote = target.state;
    turn.events.push({
      type: "signal.generated",
      id: signalId,
      ts: tick.tsEvent,
      data: {
        signalId,
        strategyId: runtime.id,
        symbol: intent.symbol,
        direction: intent.direction,
        reason: intent.reason,
        indicators: intent.indicators,
        price: fromPriceUnits((quote.bidUnits + quote.askUnits) / 2, instrument),
        tsEvent: tick.tsEvent,
        tsInit: tick.tsInit,
      },
    });
    const current = exposure(runtime.id, state.account, target);
    let wanted = 0;
    if (intent.direction === "long") wanted = sizeFor(runtime.tradeNotional, quote.askUnits, instrument);
    else if (intent.direction === "short") wanted = -sizeFor(runtime.tradeNotional, quote.bidUnits, instrument);
    const delta = wanted - current;
    if (delta === 0) return;
    const rejection = preTradeCheck(this.gate, runtime.id, state.account, runtime.traded, target, current, delta);
    submitOrder(turn, this.config.execution, runtime.id, state, target, delta, signalId, rejection);
  }

  /** A drawdown at or beyond the limit halts the strategy and flattens every position it holds, orders in flight included. */
  private checkDrawdown(turn: Turn, runtime: StrategyRuntime): void {
    const { state } = runtime;
    const { account } = state;
    const dd = updatePeak(account);
    if (!haltsAt(this.gate, account, dd)) return;
    const { tick } = turn;
    account.halted = true;
    state.riskSeq += 1;
    turn.events.push({
      type: "risk.halted",
      id: `${runtime.id}:risk:${state.riskSeq}`,
      ts: tick.tsEvent,
      data: {
        strategyId: runtime.id,
        reason: "max-drawdown",
        drawdown: dd,
        limit: this.gate.maxDrawdownPct,
        equity: fromMicros(equity(account)),
        peakEquity: fromMicros(account.peakEquity),
        tsEvent: tick.tsEvent,
        tsInit: tick.tsInit,
      },
    });
    for (const target of runtime.traded) {
      const held = exposure(runtime.id, account, target);
      if (held !== 0) submitOrder(turn, this.config.execution, runtime.id, state, target, -held, "risk-flatten", null);
    }
  }
}
