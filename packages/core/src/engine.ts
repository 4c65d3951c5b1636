import { z } from "zod";
import type { Bar } from "./bar";
import type { CommandRejectReason, CommandSubmitted } from "./commands";
import { EngineConfigSchema, type EngineConfig, type EngineConfigInput, type StrategyInstance } from "./engine-config";
import {
  COMMAND_MEMORY,
  copyState,
  restoredState,
  type EngineSnapshot,
  type EngineState,
  type EngineStats,
  type WorkingOrder,
} from "./engine-state";
import {
  bindWiring,
  buildWiring,
  type BarFeed,
  type StrategyActions,
  type StrategyRuntime,
  type SymbolRuntime,
  type Wiring,
} from "./engine-wiring";
import { ConfigError, TickflowError } from "./errors";
import type { EngineEvent } from "./events";
import { fromPriceUnits, fromSizeUnits, type Instrument, type Universe } from "./instrument";
import { fromMicros, toMicros } from "./money";
import { isRefusal, marketSpec, orderSpec, type OrderChange, type OrderRequest, type OrderSpec } from "./orders";
import { PaperVenue } from "./paper-execution";
import { equity, heldUnits, markPosition, recordEquity, trackPeak, updatePeak } from "./portfolio";
import { QuoteGuard, type QuoteRejection } from "./quote-guard";
import { accountView, combinedPortfolioView, portfolioTotalsView, portfolioView, strategyView } from "./read-views";
import { exposure, haltsAt, preTradeCheck, riskGate, sizeFor, type RiskGate } from "./risk-gate";
import {
  parseStrategyParams,
  STRATEGIES,
  type BaseParams,
  type FillNotice,
  type SignalIntent,
  type StrategyDefinition,
} from "./strategies";
import type { QuoteTick } from "./tick";
import type { Turn } from "./turn";

export type { EngineSnapshot, EngineStats } from "./engine-state";

/** What a command came to, before it is published as its outcome. */
type CommandResult =
  | { applied: true; orderId: string | null }
  | { applied: false; reason: CommandRejectReason; detail: string; orderId: string | null };
const refused = (reason: CommandRejectReason, detail: string, orderId: string | null = null): CommandResult => ({
  applied: false,
  reason,
  detail,
  orderId,
});
const APPLIED: CommandResult = { applied: true, orderId: null };

/** The signal id of an order a person sent by command: the strategy's own signals leave these alone. */
const manualSignalId = (commandId: string) => `command:${commandId}`;
const isManual = (order: WorkingOrder) => order.signalId.startsWith("command:");
/** A resting entry the strategy sent itself: not an exit of a bracket, not reduce-only, not a person's. */
const isOwnEntry = (order: WorkingOrder) => order.parentId === null && !order.reduceOnly && !isManual(order);

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
  /** Rebuilt when commands change the strategy instances (and at restore). */
  private wiring: Wiring;
  private state: EngineState;
  private readonly venue: PaperVenue;
  private readonly actions: StrategyActions;

  constructor(
    config: EngineConfigInput,
    readonly universe: Universe,
    private readonly registry: ReadonlyMap<string, StrategyDefinition> = STRATEGIES,
  ) {
    const parsed = EngineConfigSchema.safeParse(config);
    if (!parsed.success) throw new ConfigError(`engine config: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.gate = riskGate(this.config.risk);
    this.guard = new QuoteGuard(this.config.quoteGuard);
    // made once here: the hot path hands these on, never a closure of its own
    this.actions = {
      signal: (turn, runtime, intent) => this.onSignal(turn, runtime, intent),
      submit: (turn, runtime, request) => this.placeOrder(turn, runtime, request, "strategy"),
      cancel: (turn, runtime, orderId) => this.cancelOrder(turn, runtime, orderId),
      replace: (turn, runtime, orderId, change) => this.replaceOrder(turn, runtime, orderId, change),
    };
    this.venue = new PaperVenue(this.config.execution, (turn, strategyId, fill) =>
      this.onFill(turn, this.wiring.runtimes.get(strategyId)!, fill),
    );
    ({ wiring: this.wiring, state: this.state } = this.build(this.config.strategies));
  }

  /** The wiring and fresh state of a set of strategy instances (unknown kinds, symbols and reused ids throw). */
  private build(instances: readonly StrategyInstance[]): { wiring: Wiring; state: EngineState } {
    const built = buildWiring(this.config, instances, this.universe, this.registry, this.actions);
    for (const runtime of built.wiring.runtimes.values()) runtime.strategy.onStart(runtime.ctx);
    return built;
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
    if (tick.tsEvent > this.state.clock) this.state.clock = tick.tsEvent;
    const turn: Turn = { tick, events: [] };

    if (sym.state.orders.length > 0) this.venue.match(turn, sym, this.state.strategies);
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
    account.peakTs = tsEvent;
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
    this.samplePortfolio(tsEvent);
  }

  /** A deep copy of the engine state: JSON, and restoring it continues exactly where the engine stopped. */
  snapshot(): EngineSnapshot {
    // a strategy may replace its state object rather than change it in place: take the one it holds now
    for (const rt of this.wiring.runtimes.values()) rt.state.state = rt.strategy.state;
    return copyState(this.state);
  }

  /**
   * Puts the engine in the state a snapshot recorded, running the strategy instances it records
   * (a snapshot from before commands runs the configuration's). A strategy whose kind, parameters
   * or symbols mean something else to this build is not restored: it starts fresh, and its orders
   * still in flight are dropped. Returns the ids of the strategies that started fresh.
   */
  restore(snapshot: EngineSnapshot): string[] {
    const instances = (snapshot as { version: number }).version === 3 ? snapshot.instances : this.config.strategies;
    const built = this.build(instances);
    const { state, restarted } = restoredState(snapshot, built.state);
    this.wiring = built.wiring;
    this.state = state;
    bindWiring(this.wiring, state);
    return restarted;
  }

  /**
   * Applies a command at the engine's event time (the last applied quote's) and returns what it
   * caused, ending with its outcome: `command.applied`, or `command.rejected` with a stable reason
   * and nothing changed. A command id answered before is ignored (no events): a repeat is applied
   * once. Policies (DESIGN.md): pause cancels the strategy's resting entries and then lets it send
   * only orders that reduce; a parameter change keeps the account and restarts the indicators;
   * remove needs a flat strategy; flatten cancels and closes at market.
   */
  onCommand(command: CommandSubmitted): EngineEvent[] {
    const { commands } = this.state;
    if (commands.includes(command.commandId)) return [];
    commands.push(command.commandId);
    if (commands.length > COMMAND_MEMORY) commands.splice(0, commands.length - COMMAND_MEMORY);
    const tsEvent = this.state.clock > 0 ? this.state.clock : command.submittedAt;
    const events: EngineEvent[] = [];
    const result = this.execute(command, tsEvent, events);
    const outcome = {
      commandId: command.commandId,
      kind: command.kind,
      strategyId: command.strategyId,
      orderId: result.orderId,
      tsEvent,
      tsInit: command.submittedAt,
    };
    events.push(
      result.applied
        ? { type: "command.applied", id: `${command.commandId}:applied`, ts: tsEvent, data: outcome }
        : {
            type: "command.rejected",
            id: `${command.commandId}:rejected`,
            ts: tsEvent,
            data: { ...outcome, reason: result.reason, detail: result.detail },
          },
    );
    return events;
  }

  private execute(command: CommandSubmitted, tsEvent: number, events: EngineEvent[]): CommandResult {
    const id = command.strategyId;
    if (command.kind === "strategy.add") return this.addStrategy(id, command.payload);
    const runtime = this.wiring.runtimes.get(id);
    if (!runtime)
      return refused(
        "unknown-strategy",
        `no strategy "${id}"; running: ${[...this.wiring.runtimes.keys()].join(", ")}`,
      );
    const { state } = runtime;
    const turnIn = (target: SymbolRuntime): Turn => commandTurn(target, tsEvent, command.submittedAt, events);
    const tradedOr = (symbol: string) => runtime.tradedSymbol(symbol);
    switch (command.kind) {
      case "strategy.remove": {
        const open = runtime.traded.filter((t) => heldUnits(state.account, t.instrument.symbol) !== 0);
        if (open.length > 0)
          return refused(
            "position-open",
            `${id} holds ${open.map((t) => t.instrument.symbol).join(", ")}: flatten it first`,
          );
        for (const target of runtime.traded) this.venue.cancelAll(turnIn(target), target, id, "requested");
        // its (flat) account leaves the combined equity: the combined peak must not see that as a loss
        this.state.portfolio.peakEquity -= equity(state.account);
        this.rewire(this.state.instances.filter((i) => i.id !== id));
        return APPLIED;
      }
      case "strategy.pause":
        if (state.paused) return refused("already-paused", `${id} is already paused`);
        state.paused = true;
        for (const target of runtime.traded) this.venue.cancelAll(turnIn(target), target, id, "requested", isOwnEntry);
        return APPLIED;
      case "strategy.resume":
        if (!state.paused) return refused("not-paused", `${id} is not paused`);
        state.paused = false;
        return APPLIED;
      case "strategy.params": {
        const instance = this.state.instances.find((i) => i.id === id)!;
        const params = { ...instance.params, ...command.payload.params };
        const invalid = this.paramsProblem(instance.kind, params);
        if (invalid) return refused("invalid-params", invalid);
        for (const target of runtime.traded) this.venue.cancelAll(turnIn(target), target, id, "requested", isOwnEntry);
        this.rewire(
          this.state.instances.map((i) => (i.id === id ? { ...i, params } : i)),
          (saved, fresh) => {
            // the account, positions, counters and pause carry on; the indicators start over
            const entry = fresh.strategies[id]!;
            saved.strategies[id] = { ...saved.strategies[id]!, fingerprint: entry.fingerprint, state: entry.state };
          },
        );
        return APPLIED;
      }
      case "risk.reset": {
        if (!state.account.halted) return refused("not-halted", `${id} is not halted: nothing to reset`);
        events.push(...this.resetRisk(id, tsEvent, command.submittedAt));
        return APPLIED;
      }
      case "strategy.flatten": {
        const symbol = command.payload.symbol;
        const targets = symbol === undefined ? runtime.traded : [tradedOr(symbol)];
        if (targets.some((t) => t === undefined))
          return refused("unknown-symbol", `${id} does not trade ${symbol}; it trades ${runtime.symbols.join(", ")}`);
        for (const target of targets as SymbolRuntime[]) {
          const turn = turnIn(target);
          this.venue.cancelAll(turn, target, id, "requested");
          const held = heldUnits(state.account, target.instrument.symbol);
          if (held === 0) continue;
          // like the kill switch: closing takes risk off, so it passes no check
          const orderId = this.venue.nextOrderId(id, state, target.instrument.symbol);
          this.venue.submit(turn, orderId, id, target, marketSpec(-held), manualSignalId(command.commandId));
        }
        return APPLIED;
      }
      case "order.submit": {
        const { order } = command.payload;
        const target = tradedOr(order.symbol);
        if (!target)
          return refused(
            "unknown-symbol",
            `${id} does not trade ${order.symbol}; it trades ${runtime.symbols.join(", ")}`,
          );
        const from = events.length;
        const orderId = this.placeOrder(turnIn(target), runtime, order, manualSignalId(command.commandId));
        return orderRefusal(events, from, orderId) ?? { applied: true, orderId };
      }
      case "order.cancel": {
        const { orderId } = command.payload;
        const found = this.workingOrder(runtime, orderId);
        if (!found) return refused("unknown-order", `${orderId} is not a working order of ${id}`, orderId);
        this.venue.cancel(turnIn(found.target), found.target, found.order, "requested");
        return { applied: true, orderId };
      }
      case "order.replace": {
        const { orderId, ...change } = command.payload;
        const found = this.workingOrder(runtime, orderId);
        if (!found) return refused("unknown-order", `${orderId} is not a working order of ${id}`, orderId);
        const from = events.length;
        this.replaceOrder(turnIn(found.target), runtime, orderId, change);
        return orderRefusal(events, from, null, orderId) ?? { applied: true, orderId };
      }
    }
  }

  private addStrategy(
    id: string,
    payload: Extract<CommandSubmitted, { kind: "strategy.add" }>["payload"],
  ): CommandResult {
    if (this.wiring.runtimes.has(id)) return refused("strategy-exists", `a strategy "${id}" already runs`);
    if (!this.registry.has(payload.kind))
      return refused(
        "unknown-kind",
        `no strategy kind "${payload.kind}"; kinds: ${[...this.registry.keys()].join(", ")}`,
      );
    const unknown = payload.symbols.filter((s) => !this.universe.has(s));
    if (unknown.length > 0)
      return refused(
        "unknown-symbol",
        `unknown symbols ${unknown.join(", ")}; the universe: ${this.universe.symbols.join(", ")}`,
      );
    const invalid = this.paramsProblem(payload.kind, payload.params);
    if (invalid) return refused("invalid-params", invalid);
    this.rewire([
      ...this.state.instances,
      { id, kind: payload.kind, symbols: [...payload.symbols], params: payload.params },
    ]);
    // it starts with the starting cash: so does the combined peak
    this.state.portfolio.peakEquity += toMicros(this.config.startingCash);
    return APPLIED;
  }

  /** Why a kind's strategy refuses these parameters, or null. */
  private paramsProblem(kind: string, params: Record<string, unknown>): string | null {
    try {
      parseStrategyParams(strategyDefinitionOf(this.registry, kind), params);
      return null;
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
  }

  /**
   * Runs a new set of strategy instances: wired afresh, the current state carried over entry by
   * entry as a restore carries a snapshot (`carry` may adjust the saved state first).
   */
  private rewire(instances: StrategyInstance[], carry?: (saved: EngineState, fresh: EngineState) => void): void {
    const saved = this.snapshot();
    saved.instances = structuredClone(instances);
    const built = this.build(instances);
    carry?.(saved, built.state);
    const { state } = restoredState(saved, built.state);
    this.wiring = built.wiring;
    this.state = state;
    bindWiring(this.wiring, state);
  }

  /** The running strategy instances with their parameters and status. */
  strategies() {
    return [...this.wiring.runtimes.values()].map((rt) => strategyView(rt, rt.state.account, rt.state.paused));
  }

  /** One strategy's account in currency units: totals, positions, equity curve, drawdown. */
  portfolio(strategyId: string) {
    const rt = this.runtime(strategyId);
    return portfolioView(strategyId, rt.symbols, rt.state.account, rt.state.equityCurve, this.universe);
  }

  /** All strategies together, summed in micros: totals, the combined equity curve, drawdown from the combined peak since start. */
  combinedPortfolio() {
    const runtimes = [...this.wiring.runtimes.values()];
    return combinedPortfolioView(
      runtimes.map((rt) => ({ id: rt.id, account: rt.state.account, equityCurve: rt.state.equityCurve })),
      this.state.portfolio,
    );
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
      if (this.config.publishEquity)
        turn.events.push({
          type: "equity.sampled",
          id: `${runtime.id}:equity:${bar.end}`,
          ts: bar.end,
          data: { ...accountView(runtime.id, runtime.state.account), tsEvent: bar.end, tsInit: bar.tsInit },
        });
      const ctx = runtime.ctx;
      ctx.turn = turn;
      try {
        runtime.strategy.onBar(bar, ctx);
      } finally {
        ctx.turn = null;
      }
    }
    // once for all of them: what they do on a bar sends and cancels orders, which moves no equity
    if (entry.subscribers.length > 0) {
      this.samplePortfolio(bar.end);
      if (this.config.publishEquity)
        turn.events.push({
          type: "portfolio.sampled",
          id: `portfolio:equity:${bar.end}`,
          ts: bar.end,
          data: {
            ...portfolioTotalsView(
              [...this.wiring.runtimes.values()].map((rt) => rt.state.account),
              this.state.portfolio,
            ),
            tsEvent: bar.end,
            tsInit: bar.tsInit,
          },
        });
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

  /** Looks at the strategies' combined equity, for its peak since start and the falls from it. */
  private samplePortfolio(ts: number): void {
    let combined = 0;
    for (const rt of this.wiring.runtimes.values()) combined += equity(rt.state.account);
    trackPeak(this.state.portfolio, combined, ts);
  }

  /**
   * A signal: published, then the strategy's working orders in the symbol are canceled and the
   * position taken where the signal says. Reducing or leaving a position goes at market; a new
   * position (after a reversal's exit) goes as the entry its parameters name, at the price the
   * strategy gave, with its bracket. Every order passes the same checks as any other.
   */
  private onSignal(turn: Turn, runtime: StrategyRuntime, intent: SignalIntent): void {
    const { tick } = turn;
    const target = this.traded(runtime, intent.symbol);
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
    // a person's orders are the person's to cancel
    this.venue.cancelAll(turn, target, runtime.id, "requested", notManual);
    const held = heldUnits(state.account, intent.symbol);
    let wanted = 0;
    if (intent.direction === "long") wanted = sizeFor(runtime.tradeNotional, quote.askUnits, instrument);
    else if (intent.direction === "short") wanted = -sizeFor(runtime.tradeNotional, quote.bidUnits, instrument);
    if (wanted === held) return;
    const sameSide = Math.sign(wanted) === Math.sign(held);
    const reducing = wanted === 0 || (sameSide && Math.abs(wanted) < Math.abs(held));
    if (held !== 0 && !(sameSide && !reducing))
      this.placeOrder(turn, runtime, marketOrder(instrument, (reducing ? wanted : 0) - held), signalId);
    // paused: exits still go, nothing opens or adds
    if (!reducing && !state.paused)
      this.placeOrder(
        turn,
        runtime,
        entryOrder(runtime.params as BaseParams, target, intent, wanted - (sameSide ? held : 0)),
        signalId,
      );
  }

  /** Sends an order through the checks every order passes (its grid, the venue's own, then risk), or publishes why not. Returns its id either way. */
  private placeOrder(turn: Turn, runtime: StrategyRuntime, request: OrderRequest, signalId: string): string {
    const target = this.traded(runtime, request.symbol);
    const { state } = runtime;
    const orderId = this.venue.nextOrderId(runtime.id, state, request.symbol);
    const spec = orderSpec(request, target.instrument);
    const refusal = isRefusal(spec)
      ? spec
      : state.paused && signalId === "strategy" && !spec.reduceOnly
        ? { reason: "strategy-paused" as const, detail: `${runtime.id} is paused: only reduce-only orders go` }
        : (this.venue.refusal(spec, target, state.account) ??
          // a reduce-only order can only take risk off: the risk gate has nothing to say about it
          (spec.reduceOnly
            ? null
            : preTradeCheck(
                this.gate,
                runtime.id,
                state.account,
                runtime.traded,
                target,
                exposure(runtime.id, state.account, target),
                spec.side * spec.qty,
              )));
    if (refusal)
      this.venue.reject(
        turn,
        orderId,
        runtime.id,
        target.instrument,
        request.side,
        request.quantity,
        signalId,
        refusal,
      );
    else this.venue.submit(turn, orderId, runtime.id, target, spec as OrderSpec, signalId);
    return orderId;
  }

  private cancelOrder(turn: Turn, runtime: StrategyRuntime, orderId: string): boolean {
    const found = this.workingOrder(runtime, orderId);
    if (found) this.venue.cancel(turn, found.target, found.order, "requested");
    return found !== null;
  }

  private replaceOrder(turn: Turn, runtime: StrategyRuntime, orderId: string, change: OrderChange): boolean {
    const found = this.workingOrder(runtime, orderId);
    if (!found) return false;
    const { target, order } = found;
    const refusal = this.venue.replace(turn, target, order, change);
    if (refusal)
      this.venue.reject(
        turn,
        `${orderId}:replace:${turn.tick.seq}`,
        runtime.id,
        target.instrument,
        order.side > 0 ? "buy" : "sell",
        change.quantity ?? fromSizeUnits(order.qty, target.instrument),
        order.signalId,
        refusal,
      );
    return refusal === null;
  }

  private workingOrder(runtime: StrategyRuntime, orderId: string) {
    for (const target of runtime.traded)
      for (const order of target.state.orders)
        if (order.orderId === orderId && order.strategyId === runtime.id) return { target, order };
    return null;
  }

  private traded(runtime: StrategyRuntime, symbol: string): SymbolRuntime {
    const target = runtime.tradedSymbol(symbol);
    if (!target) throw new TickflowError(`strategy ${runtime.id} traded ${symbol}, which it does not trade`);
    return target;
  }

  /** A drawdown at or beyond the limit halts the strategy, cancels its working orders and flattens every position it holds at market. */
  private checkDrawdown(turn: Turn, runtime: StrategyRuntime): void {
    const { state } = runtime;
    const { account } = state;
    const { tick } = turn;
    const dd = updatePeak(account, tick.tsEvent);
    if (!haltsAt(this.gate, account, dd)) return;
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
      this.venue.cancelAll(turn, target, runtime.id, "risk-halt");
      const held = heldUnits(account, target.instrument.symbol);
      if (held === 0) continue;
      // the kill switch passes no check: it only takes risk off, in the position's own units
      const orderId = this.venue.nextOrderId(runtime.id, state, target.instrument.symbol);
      this.venue.submit(turn, orderId, runtime.id, target, marketSpec(-held), "risk-flatten");
    }
  }
}

const notManual = (order: WorkingOrder) => !isManual(order);

function strategyDefinitionOf(registry: ReadonlyMap<string, StrategyDefinition>, kind: string): StrategyDefinition {
  const definition = registry.get(kind);
  if (!definition) throw new ConfigError(`unknown strategy kind "${kind}"`);
  return definition;
}

/**
 * A command's turn in one symbol: what the venue acts on, as if at the symbol's last quote at
 * the engine's time (no size: a command meets no quote, it only sends or cancels).
 */
function commandTurn(target: SymbolRuntime, tsEvent: number, tsInit: number, events: EngineEvent[]): Turn {
  const { instrument, state } = target;
  return {
    tick: {
      symbol: instrument.symbol,
      bid: fromPriceUnits(state.bidUnits, instrument),
      ask: fromPriceUnits(state.askUnits, instrument),
      bidSize: 0,
      askSize: 0,
      seq: state.lastSeq,
      tsEvent,
      tsInit,
    },
    events,
  };
}

/** The order.rejected a command caused since `from` (for the order `orderId`, or any), as the command's refusal. */
function orderRefusal(
  events: readonly EngineEvent[],
  from: number,
  orderId: string | null,
  commandOrderId: string | null = orderId,
): CommandResult | null {
  for (let i = from; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === "order.rejected" && (orderId === null || e.data.orderId === orderId))
      return refused("order-rejected", `${e.data.reason}: ${e.data.detail}`, commandOrderId ?? e.data.orderId);
  }
  return null;
}

/** A market order for `qty` signed size units. */
function marketOrder(instrument: Instrument, qty: number): OrderRequest {
  return {
    symbol: instrument.symbol,
    side: qty > 0 ? "buy" : "sell",
    quantity: fromSizeUnits(Math.abs(qty), instrument),
    type: "market",
  };
}

/**
 * A signal's entry for `qty` signed size units as the strategy's parameters say: at market, or
 * a limit or stop at the price the strategy gave (on the grid, rounded to the cautious side),
 * with the bracket exits at their distance from the entry's price (the touch for a market entry).
 */
function entryOrder(params: BaseParams, target: SymbolRuntime, intent: SignalIntent, qty: number): OrderRequest {
  const { instrument, state } = target;
  const side = qty > 0 ? 1 : -1;
  const order = marketOrder(instrument, qty);
  let refUnits = side > 0 ? state.askUnits : state.bidUnits;
  if (params.entryOrder !== "market" && intent.entryPrice !== undefined && intent.entryPrice > 0) {
    // a limit never pays more than the strategy's price; a stop triggers no earlier than it
    const up = (params.entryOrder === "stop") === side > 0;
    refUnits = onGridUnits(intent.entryPrice, instrument, up);
    if (params.entryOrder === "limit")
      Object.assign(order, { type: "limit", limitPrice: fromPriceUnits(refUnits, instrument) });
    else Object.assign(order, { type: "stop", stopPrice: fromPriceUnits(refUnits, instrument) });
  }
  const distance = (bps: number | undefined, vol: number | undefined): number | null => {
    if (bps !== undefined) return (fromPriceUnits(refUnits, instrument) * bps) / 10_000;
    if (vol !== undefined && intent.volatility !== undefined && intent.volatility > 0) return vol * intent.volatility;
    return null;
  };
  const tp = distance(params.takeProfitBps, params.takeProfitVol);
  const sl = distance(params.stopLossBps, params.stopLossVol);
  if (tp === null && sl === null) return order;
  const inc = instrument.priceIncrementUnits;
  // at least one increment from the entry price, and never below one increment
  const away = (d: number, dir: number) => {
    const units = onGridUnits(fromPriceUnits(refUnits, instrument) + dir * d, instrument, dir > 0);
    return fromPriceUnits(
      Math.max(inc, dir > 0 ? Math.max(units, refUnits + inc) : Math.min(units, refUnits - inc)),
      instrument,
    );
  };
  order.bracket = {
    ...(tp !== null && { takeProfit: away(tp, side) }),
    ...(sl !== null && { stopLoss: away(sl, -side) }),
  };
  return order;
}

/** A price on the instrument's grid, in units: rounded up or down to a whole increment. */
function onGridUnits(price: number, instrument: Instrument, up: boolean): number {
  const inc = instrument.priceIncrementUnits;
  // the epsilon keeps a price already on the grid where it is
  const steps = (price * instrument.priceScale) / inc;
  const whole = up ? Math.ceil(steps - 1e-9) : Math.floor(steps + 1e-9);
  return Math.max(inc, whole * inc);
}
