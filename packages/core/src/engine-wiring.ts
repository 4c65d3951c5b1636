import { BarAggregator, newBarState, type BarInterval } from "./bar";
import type { EngineConfig, StrategyInstance } from "./engine-config";
import {
  newEngineState,
  newStrategyState,
  newSymbolState,
  type EngineState,
  type StrategyState,
  type SymbolState,
} from "./engine-state";
import { ConfigError, TickflowError } from "./errors";
import { fromPriceUnits, fromSizeUnits, type Instrument, type Universe } from "./instrument";
import { toMicros, type Micros } from "./money";
import type { OrderChange, OrderRequest } from "./orders";
import { newAccount } from "./portfolio";
import { Prng } from "./prng";
import {
  parseStrategyParams,
  strategyDefinition,
  type SignalIntent,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
  type WorkingOrderView,
} from "./strategies";
import type { Turn } from "./turn";

/*
 * What the engine builds from its configuration and never persists: per symbol and per strategy
 * instance, the objects that act on the engine state, each pointing at its entry of it.
 */

/** One symbol's wiring: its instrument, its bar aggregators with who reads them, the strategies that trade it, and its entry of the engine state. */
export interface SymbolRuntime {
  readonly instrument: Instrument;
  /** bindWiring() points it at the current state's entry. */
  state: SymbolState;
  readonly aggregators: BarFeed[];
  readonly strategies: StrategyRuntime[];
}

export interface BarFeed {
  readonly aggregator: BarAggregator;
  /** Whether its bars are published as `bar.closed`. */
  publish: boolean;
  readonly subscribers: StrategyRuntime[];
}

/** What the engine does for a strategy, within the turn the strategy acted in. */
export interface StrategyActions {
  signal(turn: Turn, runtime: StrategyRuntime, intent: SignalIntent): void;
  submit(turn: Turn, runtime: StrategyRuntime, request: OrderRequest): string;
  cancel(turn: Turn, runtime: StrategyRuntime, orderId: string): boolean;
  replace(turn: Turn, runtime: StrategyRuntime, orderId: string, change: OrderChange): boolean;
}

/** One strategy instance's wiring: its configuration, the strategy, the context it acts through, and its entry of the engine state. */
export class StrategyRuntime {
  readonly ctx: StrategyPort;
  /** The symbols it trades, in the order of `symbols`. */
  readonly traded: SymbolRuntime[] = [];

  constructor(
    readonly id: string,
    readonly kind: string,
    readonly symbols: readonly string[],
    readonly params: Record<string, unknown>,
    readonly strategy: Strategy,
    readonly tradeNotional: Micros,
    /** bindWiring() points it at the current state's entry. */
    public state: StrategyState,
    actions: StrategyActions,
    universe: Universe,
  ) {
    this.ctx = new StrategyPort(this, actions, universe);
  }

  /** The traded symbol `symbol`, if the strategy trades it. */
  tradedSymbol(symbol: string): SymbolRuntime | undefined {
    for (const sym of this.traded) if (sym.instrument.symbol === symbol) return sym;
    return undefined;
  }
}

/**
 * The context a strategy acts through. What it does belongs to the quote being processed, which
 * the strategy does not pass back, so the engine lends the port that quote's turn for each call
 * into the strategy and takes it back after: an action from anywhere else fails instead of
 * landing among another quote's events.
 */
export class StrategyPort implements StrategyContext {
  turn: Turn | null = null;

  constructor(
    private readonly runtime: StrategyRuntime,
    private readonly actions: StrategyActions,
    private readonly universe: Universe,
  ) {}

  signal(intent: SignalIntent): void {
    this.actions.signal(this.lent("signalled"), this.runtime, intent);
  }

  submitOrder(request: OrderRequest): string {
    return this.actions.submit(this.lent("sent an order"), this.runtime, request);
  }

  cancelOrder(orderId: string): boolean {
    return this.actions.cancel(this.lent("canceled an order"), this.runtime, orderId);
  }

  replaceOrder(orderId: string, change: OrderChange): boolean {
    return this.actions.replace(this.lent("replaced an order"), this.runtime, orderId, change);
  }

  position(symbol: string): number {
    const p = this.runtime.state.account.positions[symbol];
    return p ? fromSizeUnits(p.qty, this.universe.get(symbol)) : 0;
  }

  workingOrders(symbol: string): WorkingOrderView[] {
    const target = this.runtime.tradedSymbol(symbol);
    if (!target) return [];
    const { instrument } = target;
    const price = (units: number | null) => (units === null ? null : fromPriceUnits(units, instrument));
    return target.state.orders
      .filter((o) => o.strategyId === this.runtime.id)
      .map((o) => ({
        orderId: o.orderId,
        symbol,
        side: o.side > 0 ? ("buy" as const) : ("sell" as const),
        type: o.type,
        quantity: fromSizeUnits(o.qty, instrument),
        filledQuantity: fromSizeUnits(o.filled, instrument),
        limitPrice: price(o.limitUnits),
        stopPrice: price(o.stopUnits),
      }));
  }

  private lent(what: string): Turn {
    if (!this.turn) throw new TickflowError(`strategy ${this.runtime.id} ${what} outside a quote`);
    return this.turn;
  }
}

export interface Wiring {
  readonly symbols: ReadonlyMap<string, SymbolRuntime>;
  readonly runtimes: ReadonlyMap<string, StrategyRuntime>;
}

/**
 * Builds the wiring for a configuration and the initial state it points at: a symbol gets an
 * entry when a strategy trades it or its bars are published, an aggregator per interval someone
 * reads, and a strategy its instance, account and counters. Unknown kinds, symbols and reused ids
 * throw.
 */
export function buildWiring(
  config: EngineConfig,
  instances: readonly StrategyInstance[],
  universe: Universe,
  registry: ReadonlyMap<string, StrategyDefinition>,
  actions: StrategyActions,
): { wiring: Wiring; state: EngineState } {
  const state = newEngineState([...instances]);
  const symbols = new Map<string, SymbolRuntime>();
  const runtimes = new Map<string, StrategyRuntime>();
  const symbolRuntime = (symbol: string): SymbolRuntime => {
    let rt = symbols.get(symbol);
    if (!rt) {
      rt = {
        instrument: universe.get(symbol),
        state: (state.symbols[symbol] = newSymbolState(
          new Prng(`${config.execution.fillSeed}:${symbol}`).snapshot().words,
        )),
        aggregators: [],
        strategies: [],
      };
      symbols.set(symbol, rt);
    }
    return rt;
  };
  const aggregatorFor = (sym: SymbolRuntime, interval: BarInterval): BarFeed => {
    let feed = sym.aggregators.find((a) => a.aggregator.interval === interval);
    if (!feed) {
      const bars = (sym.state.bars[interval] = newBarState());
      feed = {
        aggregator: new BarAggregator(sym.instrument.symbol, interval, sym.instrument.priceScale, bars),
        publish: false,
        subscribers: [],
      };
      sym.aggregators.push(feed);
    }
    return feed;
  };

  for (const symbol of Object.keys(config.quoteGuard.symbols)) universe.get(symbol);
  for (const instance of instances) {
    if (runtimes.has(instance.id)) throw new ConfigError(`strategy id "${instance.id}" is used twice`);
    const definition = strategyDefinition(instance.kind, registry);
    const params = parseStrategyParams(definition, instance.params);
    const traded = [...new Set(instance.symbols)];
    traded.forEach((s) => universe.get(s));
    const strategy = definition.create(params, traded);
    const entry = newStrategyState(
      JSON.stringify([instance.kind, params, traded]),
      strategy.state,
      newAccount(toMicros(config.startingCash)),
    );
    state.strategies[instance.id] = entry;
    const runtime = new StrategyRuntime(
      instance.id,
      instance.kind,
      traded,
      params,
      strategy,
      toMicros(params.tradeNotional as number),
      entry,
      actions,
      universe,
    );
    runtimes.set(instance.id, runtime);
    for (const symbol of traded) {
      const sym = symbolRuntime(symbol);
      sym.strategies.push(runtime);
      runtime.traded.push(sym);
      aggregatorFor(sym, strategy.interval).subscribers.push(runtime);
    }
  }
  // the combined peak starts at what they all start with
  state.portfolio.peakEquity = toMicros(config.startingCash) * instances.length;
  if (config.publishBars.length > 0) {
    for (const instrument of universe.instruments) {
      const sym = symbolRuntime(instrument.symbol);
      for (const interval of config.publishBars) aggregatorFor(sym, interval).publish = true;
    }
  }
  return { wiring: { symbols, runtimes }, state };
}

/** Points the wiring (each symbol, aggregator and strategy) at its entry of `state`, which holds one for each. */
export function bindWiring(wiring: Wiring, state: EngineState): void {
  for (const [symbol, sym] of wiring.symbols) {
    sym.state = state.symbols[symbol]!;
    for (const { aggregator } of sym.aggregators) aggregator.state = sym.state.bars[aggregator.interval]!;
  }
  for (const rt of wiring.runtimes.values()) {
    rt.state = state.strategies[rt.id]!;
    rt.strategy.state = rt.state.state;
  }
}
