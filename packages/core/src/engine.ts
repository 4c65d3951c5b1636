import { z } from "zod";
import { BarAggregator, newBarState, type Bar, type BarInterval } from "./bar";
import { EngineConfigSchema, type EngineConfig, type EngineConfigInput } from "./engine-config";
import {
  copyState,
  newEngineState,
  newStrategyState,
  newSymbolState,
  restoredState,
  type EngineSnapshot,
  type EngineState,
  type EngineStats,
  type StrategyState,
  type SymbolState,
} from "./engine-state";
import { ConfigError, TickflowError } from "./errors";
import type { EngineEvent, OrderSide, RejectReason } from "./events";
import { fromPriceUnits, fromSizeUnits, type Instrument, type Universe } from "./instrument";
import { feeMicros, floorDiv, fromMicros, midValueMicros, notionalMicros, toMicros, type Micros } from "./money";
import { applyFill, equity, markPosition, newAccount, positionView, updatePeak } from "./portfolio";
import { portfolioView, strategyView } from "./read-views";
import { parseStrategyParams, STRATEGIES, strategyDefinition, type SignalIntent, type Strategy, type StrategyContext, type StrategyDefinition } from "./strategies";
import { QuoteGuard, type QuoteRejection } from "./quote-guard";
import type { QuoteTick } from "./tick";

interface StrategyRuntime {
  readonly id: string;
  readonly kind: string;
  readonly symbols: string[];
  readonly params: Record<string, unknown>;
  readonly strategy: Strategy;
  readonly ctx: StrategyContext;
  readonly tradeNotional: Micros;
  /** This strategy's entry of the engine state; bind() points it there again after a restore. */
  state: StrategyState;
}

interface SymbolRuntime {
  readonly instrument: Instrument;
  /** This symbol's entry of the engine state; bind() points it there again after a restore. */
  state: SymbolState;
  readonly aggregators: { aggregator: BarAggregator; publish: boolean; subscribers: StrategyRuntime[] }[];
  readonly strategies: StrategyRuntime[];
}

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
 */
export class TradingEngine {
  readonly config: EngineConfig;
  private readonly guard: QuoteGuard;
  private readonly symbols = new Map<string, SymbolRuntime>();
  private readonly runtimes = new Map<string, StrategyRuntime>();
  private readonly maxPosition: Micros;
  private readonly maxGross: Micros;
  /** Everything that changes from quote to quote; the rest of the engine is wiring built from the configuration. */
  private state: EngineState = newEngineState();
  /** The state as the configuration starts it: where a strategy a snapshot cannot restore starts from. */
  private readonly initial: EngineState;
  private out: EngineEvent[] = [];
  private tick: QuoteTick | null = null;

  constructor(
    config: EngineConfigInput,
    readonly universe: Universe,
    registry: ReadonlyMap<string, StrategyDefinition> = STRATEGIES,
  ) {
    const parsed = EngineConfigSchema.safeParse(config);
    if (!parsed.success) throw new ConfigError(`engine config: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.maxPosition = toMicros(this.config.risk.maxPositionNotional);
    this.maxGross = toMicros(this.config.risk.maxGrossNotional);
    this.guard = new QuoteGuard(this.config.quoteGuard);

    const symbolRuntime = (symbol: string): SymbolRuntime => {
      let rt = this.symbols.get(symbol);
      if (!rt) {
        rt = { instrument: universe.get(symbol), state: (this.state.symbols[symbol] = newSymbolState()), aggregators: [], strategies: [] };
        this.symbols.set(symbol, rt);
      }
      return rt;
    };
    const aggregatorFor = (sym: SymbolRuntime, interval: BarInterval) => {
      let entry = sym.aggregators.find((a) => a.aggregator.interval === interval);
      if (!entry) {
        const bars = (sym.state.bars[interval] = newBarState());
        entry = { aggregator: new BarAggregator(sym.instrument.symbol, interval, sym.instrument.priceScale, bars), publish: false, subscribers: [] };
        sym.aggregators.push(entry);
      }
      return entry;
    };

    for (const symbol of Object.keys(this.config.quoteGuard.symbols)) universe.get(symbol);
    for (const instance of this.config.strategies) {
      if (this.runtimes.has(instance.id)) throw new ConfigError(`strategy id "${instance.id}" is used twice`);
      const definition = strategyDefinition(instance.kind, registry);
      const params = parseStrategyParams(definition, instance.params);
      const symbols = [...new Set(instance.symbols)];
      symbols.forEach((s) => universe.get(s));
      const strategy = definition.create(params, symbols);
      const state = newStrategyState(JSON.stringify([instance.kind, params, symbols]), strategy.state, newAccount(toMicros(this.config.startingCash)));
      this.state.strategies[instance.id] = state;
      const runtime: StrategyRuntime = {
        id: instance.id,
        kind: instance.kind,
        symbols,
        params,
        strategy,
        ctx: {
          signal: (intent) => this.onSignal(runtime, intent),
          position: (symbol) => {
            const p = runtime.state.account.positions[symbol];
            return p ? fromSizeUnits(p.qty, universe.get(symbol)) : 0;
          },
        },
        tradeNotional: toMicros(params.tradeNotional as number),
        state,
      };
      this.runtimes.set(instance.id, runtime);
      for (const symbol of symbols) {
        const sym = symbolRuntime(symbol);
        sym.strategies.push(runtime);
        aggregatorFor(sym, runtime.strategy.interval).subscribers.push(runtime);
      }
    }
    if (this.config.publishBars.length > 0) {
      for (const instrument of universe.instruments) {
        const sym = symbolRuntime(instrument.symbol);
        for (const interval of this.config.publishBars) aggregatorFor(sym, interval).publish = true;
      }
    }
    for (const runtime of this.runtimes.values()) runtime.strategy.onStart(runtime.ctx);
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
    const sym = this.symbols.get(tick.symbol);
    const stats = this.state.stats;
    if (!sym) {
      if (this.universe.has(tick.symbol)) return { status: "ignored" };
      stats.rejectedTicks += 1;
      return { status: "rejected", reason: "unknown-symbol", detail: `unknown symbol "${tick.symbol.slice(0, 32)}"` };
    }
    const symState = sym.state;
    const verdict = this.guard.admit(tick, sym.instrument, symState, now);
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
    const out: EngineEvent[] = [];
    this.out = out;
    this.tick = tick;

    if (symState.pending.length > 0) this.fillPending(sym, tick);
    const mid2 = symState.bidUnits + symState.askUnits;
    for (const runtime of sym.strategies) {
      const account = runtime.state.account;
      const position = account.positions[tick.symbol];
      if (position && position.qty !== 0) {
        markPosition(account, position, sym.instrument, mid2);
        this.checkDrawdown(runtime);
      }
    }
    for (const entry of sym.aggregators) {
      const bar = entry.aggregator.update(tick);
      if (bar) this.onBar(entry, bar);
    }
    for (const runtime of sym.strategies) runtime.strategy.onQuote(tick, runtime.ctx);
    this.tick = null;
    return { status: "applied", events: out };
  }

  /** Lifts a risk halt: the drawdown peak restarts from current equity. A strategy that is not halted has nothing to reset. */
  resetRisk(strategyId: string, tsEvent: number, tsInit: number = tsEvent): EngineEvent[] {
    const runtime = this.runtime(strategyId);
    const { account } = runtime.state;
    if (!account.halted) return [];
    account.halted = false;
    account.peakEquity = equity(account);
    runtime.state.riskSeq += 1;
    return [
      {
        type: "risk.reset",
        id: `${runtime.id}:risk:${runtime.state.riskSeq}`,
        ts: tsEvent,
        data: { strategyId, equity: fromMicros(equity(account)), tsEvent, tsInit },
      },
    ];
  }

  /** Samples every strategy's equity now (the backtest closes its curve with this). */
  sampleEquity(tsEvent: number): void {
    for (const runtime of this.runtimes.values()) this.sample(runtime, tsEvent);
  }

  /** A deep copy of the engine state: JSON, and restoring it continues exactly where the engine stopped. */
  snapshot(): EngineSnapshot {
    // a strategy may replace its state object rather than change it in place: take the one it holds now
    for (const rt of this.runtimes.values()) rt.state.state = rt.strategy.state;
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
    this.bind();
    return restarted;
  }

  /** The running strategy instances with their parameters and status. */
  strategies() {
    return [...this.runtimes.values()].map((rt) => strategyView(rt, rt.state.account));
  }

  /** One strategy's account in currency units: totals, positions, equity curve, drawdown. */
  portfolio(strategyId: string) {
    const rt = this.runtime(strategyId);
    return portfolioView(strategyId, rt.symbols, rt.state.account, rt.state.equityCurve, this.universe);
  }

  /** Points the wiring (each symbol, aggregator and strategy) at its entry of the current state. */
  private bind(): void {
    for (const [symbol, sym] of this.symbols) {
      sym.state = this.state.symbols[symbol]!;
      for (const { aggregator } of sym.aggregators) aggregator.state = sym.state.bars[aggregator.interval]!;
    }
    for (const rt of this.runtimes.values()) {
      rt.state = this.state.strategies[rt.id]!;
      rt.strategy.state = rt.state.state;
    }
  }

  private runtime(strategyId: string): StrategyRuntime {
    const rt = this.runtimes.get(strategyId);
    if (!rt) throw new ConfigError(`unknown strategy "${strategyId}"; running: ${[...this.runtimes.keys()].join(", ")}`);
    return rt;
  }

  private onBar(entry: SymbolRuntime["aggregators"][number], bar: Bar): void {
    if (entry.publish) this.out.push({ type: "bar.closed", id: `${bar.symbol}:${bar.interval}:${bar.start}`, ts: bar.tsEvent, data: bar });
    for (const runtime of entry.subscribers) {
      this.sample(runtime, bar.end);
      runtime.strategy.onBar(bar, runtime.ctx);
    }
  }

  private sample(runtime: StrategyRuntime, ts: number): void {
    const curve = runtime.state.equityCurve;
    const last = curve[curve.length - 1];
    if (last && last[0] > ts) return;
    // other symbols' quotes at the same instant still move equity: the point keeps the latest value
    if (last && last[0] === ts) {
      last[1] = equity(runtime.state.account);
      return;
    }
    curve.push([ts, equity(runtime.state.account)]);
    const limit = this.config.equityCurveLimit;
    if (limit !== undefined && curve.length > limit) curve.splice(0, curve.length - limit);
  }

  private onSignal(runtime: StrategyRuntime, intent: SignalIntent): void {
    const tick = this.tick;
    if (!tick) throw new TickflowError(`strategy ${runtime.id} signalled outside a quote`);
    const sym = this.symbols.get(intent.symbol);
    if (!sym || !runtime.symbols.includes(intent.symbol)) {
      throw new TickflowError(`strategy ${runtime.id} signalled ${intent.symbol}, which it does not trade`);
    }
    const n = (runtime.state.signalSeq[intent.symbol] ?? 0) + 1;
    runtime.state.signalSeq[intent.symbol] = n;
    const signalId = `${runtime.id}:${intent.symbol}:signal:${n}`;
    const { instrument } = sym;
    this.out.push({
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
        price: fromPriceUnits((sym.state.bidUnits + sym.state.askUnits) / 2, instrument),
        tsEvent: tick.tsEvent,
        tsInit: tick.tsInit,
      },
    });
    const current = this.exposure(runtime, sym);
    let target = 0;
    if (intent.direction === "long") target = this.sizeFor(runtime, sym.state.askUnits, instrument);
    else if (intent.direction === "short") target = -this.sizeFor(runtime, sym.state.bidUnits, instrument);
    const delta = target - current;
    if (delta === 0) return;
    this.submit(runtime, sym, delta, signalId, this.riskCheck(runtime, sym, current, delta));
  }

  /** Position plus orders still in flight, in signed size units. */
  private exposure(runtime: StrategyRuntime, sym: SymbolRuntime): number {
    let qty = runtime.state.account.positions[sym.instrument.symbol]?.qty ?? 0;
    for (const p of sym.state.pending) if (p.strategyId === runtime.id) qty += p.qty;
    return qty;
  }

  /** Whole size increments worth at most tradeNotional at this price. */
  private sizeFor(runtime: StrategyRuntime, priceUnits: number, instrument: Instrument): number {
    const lotValue = notionalMicros(priceUnits, instrument.sizeIncrementUnits, instrument);
    return floorDiv(runtime.tradeNotional, lotValue) * instrument.sizeIncrementUnits;
  }

  private riskCheck(runtime: StrategyRuntime, sym: SymbolRuntime, current: number, delta: number): { reason: RejectReason; detail: string } | null {
    if (runtime.state.account.halted) return { reason: "strategy-halted", detail: "halted by the drawdown limit until reset" };
    const { instrument } = sym;
    const price = delta > 0 ? sym.state.askUnits : sym.state.bidUnits;
    const before = notionalMicros(price, Math.abs(current), instrument);
    const after = notionalMicros(price, Math.abs(current + delta), instrument);
    if (after <= before) return null; // reducing exposure is always allowed
    if (after > this.maxPosition) {
      return { reason: "max-position", detail: `position notional ${fromMicros(after)} would exceed ${fromMicros(this.maxPosition)}` };
    }
    // other symbols count with their orders still in flight, valued at their last mid
    let others = 0;
    for (const symbol of runtime.symbols) {
      if (symbol === instrument.symbol) continue;
      const other = this.symbols.get(symbol)!;
      others += Math.abs(midValueMicros(other.state.bidUnits + other.state.askUnits, this.exposure(runtime, other), other.instrument));
    }
    if (others + after > this.maxGross) {
      return { reason: "max-gross-notional", detail: `gross notional ${fromMicros(others + after)} would exceed ${fromMicros(this.maxGross)}` };
    }
    return null;
  }

  private submit(runtime: StrategyRuntime, sym: SymbolRuntime, qty: number, signalId: string, rejection: { reason: RejectReason; detail: string } | null): void {
    const tick = this.tick!;
    const symbol = sym.instrument.symbol;
    const n = (runtime.state.orderSeq[symbol] ?? 0) + 1;
    runtime.state.orderSeq[symbol] = n;
    const orderId = `${runtime.id}:${symbol}:${n}`;
    const side: OrderSide = qty > 0 ? "buy" : "sell";
    const base = { orderId, strategyId: runtime.id, symbol, side, quantity: fromSizeUnits(Math.abs(qty), sym.instrument), signalId };
    if (rejection) {
      this.out.push({ type: "order.rejected", id: `${orderId}:rejected`, ts: tick.tsEvent, data: { ...base, ...rejection, tsEvent: tick.tsEvent, tsInit: tick.tsInit } });
      return;
    }
    this.out.push({ type: "order.submitted", id: `${orderId}:submitted`, ts: tick.tsEvent, data: { ...base, type: "market", tsEvent: tick.tsEvent, tsInit: tick.tsInit } });
    sym.state.pending.push({ orderId, strategyId: runtime.id, symbol, qty, wait: this.config.execution.latencyTicks, signalId });
  }

  /**
   * Market orders fill at the touch of this quote: buys at the ask, sells at the bid. Each order
   * leaves the pending list just before it is booked, so a halt triggered by a fill flattens the
   * position together with every order still in flight; orders queued during this quote (the
   * flatten) fill against the next one.
   */
  private fillPending(sym: SymbolRuntime, tick: QuoteTick): void {
    const { instrument } = sym;
    const mid2 = sym.state.bidUnits + sym.state.askUnits;
    for (const order of sym.state.pending.slice()) {
      if (order.wait > 0) {
        order.wait -= 1;
        continue;
      }
      sym.state.pending.splice(sym.state.pending.indexOf(order), 1);
      const runtime = this.runtimes.get(order.strategyId)!;
      const priceUnits = order.qty > 0 ? sym.state.askUnits : sym.state.bidUnits;
      const fee = feeMicros(notionalMicros(priceUnits, Math.abs(order.qty), instrument), this.config.execution.feeBps);
      const { realized, position } = applyFill(runtime.state.account, instrument, order.qty, priceUnits, fee, mid2);
      const side: OrderSide = order.qty > 0 ? "buy" : "sell";
      const quantity = fromSizeUnits(Math.abs(order.qty), instrument);
      const price = fromPriceUnits(priceUnits, instrument);
      this.out.push({
        type: "order.filled",
        id: `${order.orderId}:filled`,
        ts: tick.tsEvent,
        data: {
          orderId: order.orderId,
          strategyId: runtime.id,
          symbol: instrument.symbol,
          side,
          quantity,
          price,
          fee: fromMicros(fee),
          realizedPnl: fromMicros(realized),
          quoteSeq: tick.seq,
          tsEvent: tick.tsEvent,
          tsInit: tick.tsInit,
        },
      });
      this.out.push({
        type: "position.changed",
        id: `${runtime.id}:${instrument.symbol}:${order.orderId}`,
        ts: tick.tsEvent,
        data: { strategyId: runtime.id, ...positionView(position, instrument), tsEvent: tick.tsEvent, tsInit: tick.tsInit },
      });
      runtime.strategy.onFill({ symbol: instrument.symbol, side, quantity, price, tsEvent: tick.tsEvent }, runtime.ctx);
      this.checkDrawdown(runtime);
    }
  }

  /** A drawdown at or beyond the limit halts the strategy and flattens every position it holds. */
  private checkDrawdown(runtime: StrategyRuntime): void {
    const dd = updatePeak(runtime.state.account);
    if (runtime.state.account.halted || dd < this.config.risk.maxDrawdownPct) return;
    const tick = this.tick!;
    const account = runtime.state.account;
    account.halted = true;
    runtime.state.riskSeq += 1;
    this.out.push({
      type: "risk.halted",
      id: `${runtime.id}:risk:${runtime.state.riskSeq}`,
      ts: tick.tsEvent,
      data: {
        strategyId: runtime.id,
        reason: "max-drawdown",
        drawdown: dd,
        limit: this.config.risk.maxDrawdownPct,
        equity: fromMicros(equity(account)),
        peakEquity: fromMicros(account.peakEquity),
        tsEvent: tick.tsEvent,
        tsInit: tick.tsInit,
      },
    });
    for (const symbol of runtime.symbols) {
      const sym = this.symbols.get(symbol)!;
      const exposure = this.exposure(runtime, sym);
      if (exposure !== 0) this.submit(runtime, sym, -exposure, "risk-flatten", null);
    }
  }
}
