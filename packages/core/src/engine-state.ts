import type { BarState } from "./bar";
import type { StrategyInstance } from "./engine-config";
import { TickflowError } from "./errors";
import type { Micros } from "./money";
import type { OrderSpec } from "./orders";
import type { AccountState, DrawdownTracker, EquityPoint } from "./portfolio";
import type { PrngState } from "./prng";
import type { GuardedSymbol } from "./quote-guard";

/** An order the paper venue is working: resting, waiting for its trigger, or for its first quote. */
export interface WorkingOrder extends OrderSpec {
  orderId: string;
  strategyId: string;
  signalId: string;
  /** The bracket entry this exit protects, or null. */
  parentId: string | null;
  /** The other exit of its bracket, canceled when this one starts to fill. */
  ocoId: string | null;
  /** Event time from which it meets quotes (submission plus latency). */
  activeAt: number;
  /** Whether it has met a quote (stops: since their trigger): from then a limit rests and makes. */
  arrived: boolean;
  triggered: boolean;
  /** Size units filled so far, in how many fills, for how much (micros). */
  filled: number;
  fills: number;
  filledNotional: Micros;
  /** Replacements so far: each `order.replaced` is numbered, so two in one quote keep distinct ids. */
  replaces: number;
}

export interface EngineStats {
  /** Quotes applied. */
  ticks: number;
  duplicateTicks: number;
  missingTicks: number;
  /** Quotes refused by the quote guard (each is the consumer's to dead-letter). */
  rejectedTicks: number;
}

/** What the engine keeps of one symbol: the quote guard's memory of it, the working orders, and the bars being built by interval. */
export interface SymbolState extends GuardedSymbol {
  /** In the order they were sent: the first has the first claim on a quote's size. */
  orders: WorkingOrder[];
  /** The fill-on-touch generator's state: seeded per symbol, so each symbol's draws follow its own quotes. */
  rng: PrngState;
  bars: Record<string, BarState>;
}

/** What the engine keeps of one strategy instance. */
export interface StrategyState {
  /** kind, parameters and symbols the state was built with: state from another configuration is not reused. */
  fingerprint: string;
  /** The strategy's own state (its `state`). */
  state: unknown;
  account: AccountState;
  /**
   * Per-symbol counters behind signal and order ids: ids then depend only on each symbol's own
   * quotes, which Kafka orders per partition, so live and backtest name orders alike.
   */
  orderSeq: Record<string, number>;
  signalSeq: Record<string, number>;
  tradeSeq: Record<string, number>;
  riskSeq: number;
  equityCurve: EquityPoint[];
  /** Paused by a command: no order that opens or adds to a position. */
  paused: boolean;
}

/**
 * Everything the engine carries from one quote to the next, as one plain JSON value. A snapshot
 * is a deep copy of it and a restore replaces it, so a field added anywhere in it is saved and
 * restored without another line: nothing is copied field by field. Everything else the engine
 * holds (strategy instances, aggregators, limits) is rebuilt from the configuration.
 */
export interface EngineState {
  /** Bumped, with a migration from the last version, when a change would misread saved state. */
  version: 3;
  /** The strategy instances the engine runs, as the configuration began them and commands changed them since. */
  instances: StrategyInstance[];
  /** Event time of the last applied quote: the time a command takes effect at. */
  clock: number;
  /** The last COMMAND_MEMORY command ids the engine answered, oldest first: a repeated one is not applied again. */
  commands: string[];
  stats: EngineStats;
  symbols: Record<string, SymbolState>;
  strategies: Record<string, StrategyState>;
  /** The strategies' combined equity since start, looked at whenever one samples its equity. */
  portfolio: DrawdownTracker;
}

/** The engine state as saved (committed with the offsets on Kafka): a deep copy of it. */
export type EngineSnapshot = EngineState;

/** How many command ids the engine remembers to refuse a repeat: far more than a client retries within. */
export const COMMAND_MEMORY = 1_000;

export function newEngineState(instances: StrategyInstance[]): EngineState {
  return {
    version: 3,
    instances: structuredClone(instances),
    clock: 0,
    commands: [],
    stats: { ticks: 0, duplicateTicks: 0, missingTicks: 0, rejectedTicks: 0 },
    symbols: {},
    strategies: {},
    portfolio: { peakEquity: 0, maxDrawdown: 0, peakTs: null, maxDrawdownMs: 0 },
  };
}

export function newSymbolState(rng: PrngState): SymbolState {
  return { lastSeq: 0, bidUnits: 0, askUnits: 0, bandRun: null, orders: [], rng, bars: {} };
}

export function newStrategyState(fingerprint: string, state: unknown, account: AccountState): StrategyState {
  return {
    fingerprint,
    state,
    account,
    orderSeq: {},
    signalSeq: {},
    tradeSeq: {},
    riskSeq: 0,
    equityCurve: [],
    paused: false,
  };
}

export function copyState(state: EngineState): EngineState {
  return structuredClone(state);
}

/**
 * The state to continue from `snapshot` in an engine wired from `fresh` (built for the snapshot's
 * own strategy instances, or for the configuration's when the snapshot predates them). Its two
 * maps are matched entry by entry: a strategy restarts (its fresh entry, and none of its orders in
 * flight) unless the snapshot holds it with the same fingerprint; a symbol or bar interval the
 * snapshot lacks starts fresh; what the wiring no longer has is dropped. Everything else comes
 * from the snapshot whole. A version 2 snapshot (before commands) runs the configuration's
 * instances, none paused. A version 1 snapshot (market orders only, no round trips) restores the
 * quote guard's memory and the bars, and restarts every strategy: its accounts cannot say where
 * their trades began.
 */
export function restoredState(snapshot: EngineState, fresh: EngineState): { state: EngineState; restarted: string[] } {
  const version = (snapshot as { version: number }).version;
  if (version !== 1 && version !== 2 && version !== 3)
    throw new TickflowError(`unsupported engine snapshot version ${String(version)}`);
  const saved = copyState(snapshot);
  if (version < 3) {
    saved.version = 3;
    saved.instances = structuredClone(fresh.instances);
    saved.clock = 0;
    saved.commands = [];
    for (const entry of Object.values(saved.strategies ?? {})) entry.paused = false;
  }
  if (version === 1) {
    saved.strategies = {};
    saved.portfolio = fresh.portfolio;
  }
  const restarted: string[] = [];
  const strategies: EngineState["strategies"] = {};
  for (const [id, entry] of Object.entries(fresh.strategies)) {
    const old = Object.hasOwn(saved.strategies, id) ? saved.strategies[id] : undefined;
    if (old && old.fingerprint === entry.fingerprint) strategies[id] = old;
    else {
      strategies[id] = entry;
      restarted.push(id);
    }
  }
  const carriesOn = (strategyId: string) => Object.hasOwn(strategies, strategyId) && !restarted.includes(strategyId);
  const symbols: EngineState["symbols"] = {};
  for (const [symbol, entry] of Object.entries(fresh.symbols)) {
    const old = Object.hasOwn(saved.symbols, symbol) ? saved.symbols[symbol] : undefined;
    if (!old) {
      symbols[symbol] = entry;
      continue;
    }
    const bars: SymbolState["bars"] = {};
    for (const [interval, bar] of Object.entries(entry.bars))
      bars[interval] = Object.hasOwn(old.bars, interval) ? old.bars[interval]! : bar;
    const orders = (old.orders ?? []).filter((o) => carriesOn(o.strategyId));
    symbols[symbol] = { ...old, orders, rng: old.rng ?? entry.rng, bars };
    delete (symbols[symbol] as { pending?: unknown }).pending;
  }
  return { state: { ...saved, symbols, strategies }, restarted };
}
