import type { BarState } from "./bar";
import { TickflowError } from "./errors";
import type { AccountState, EquityPoint } from "./portfolio";
import type { GuardedSymbol } from "./quote-guard";

/** A market order the risk gate let through, waiting for the quote it fills against. */
export interface PendingOrder {
  orderId: string;
  strategyId: string;
  symbol: string;
  /** Signed size units: buy > 0. */
  qty: number;
  /** Quotes still to skip before filling. */
  wait: number;
  signalId: string;
}

export interface EngineStats {
  /** Quotes applied. */
  ticks: number;
  duplicateTicks: number;
  missingTicks: number;
  /** Quotes refused by the quote guard (each is the consumer's to dead-letter). */
  rejectedTicks: number;
}

/** What the engine keeps of one symbol: the quote guard's memory of it, the orders in flight, and the bars being built by interval. */
export interface SymbolState extends GuardedSymbol {
  pending: PendingOrder[];
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
  riskSeq: number;
  equityCurve: EquityPoint[];
}

/**
 * Everything the engine carries from one quote to the next, as one plain JSON value. A snapshot
 * is a deep copy of it and a restore replaces it, so a field added anywhere in it is saved and
 * restored without another line: nothing is copied field by field. Everything else the engine
 * holds (strategy instances, aggregators, limits) is rebuilt from the configuration.
 */
export interface EngineState {
  /** Bumped, with a migration from the last version, when a change would misread saved state. */
  version: 1;
  stats: EngineStats;
  symbols: Record<string, SymbolState>;
  strategies: Record<string, StrategyState>;
}

/** The engine state as saved (committed with the offsets on Kafka): a deep copy of it. */
export type EngineSnapshot = EngineState;

export function newEngineState(): EngineState {
  return {
    version: 1,
    stats: { ticks: 0, duplicateTicks: 0, missingTicks: 0, rejectedTicks: 0 },
    symbols: {},
    strategies: {},
  };
}

export function newSymbolState(): SymbolState {
  return { lastSeq: 0, bidUnits: 0, askUnits: 0, bandRun: null, pending: [], bars: {} };
}

export function newStrategyState(fingerprint: string, state: unknown, account: AccountState): StrategyState {
  return { fingerprint, state, account, orderSeq: {}, signalSeq: {}, riskSeq: 0, equityCurve: [] };
}

export function copyState(state: EngineState): EngineState {
  return structuredClone(state);
}

/**
 * The state to continue from `snapshot` in an engine whose configuration starts from `fresh`. A
 * configuration may have changed since the snapshot, so its two maps are matched entry by entry:
 * a strategy restarts (its fresh entry, and none of its orders in flight) unless the snapshot
 * holds it with the same fingerprint; a symbol or bar interval the snapshot lacks starts fresh;
 * what the configuration no longer has is dropped. Everything else comes from the snapshot whole.
 */
export function restoredState(snapshot: EngineState, fresh: EngineState): { state: EngineState; restarted: string[] } {
  if (snapshot.version !== 1)
    throw new TickflowError(`unsupported engine snapshot version ${String(snapshot.version)}`);
  const saved = copyState(snapshot);
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
    symbols[symbol] = { ...old, pending: old.pending.filter((p) => carriesOn(p.strategyId)), bars };
  }
  return { state: { ...saved, symbols, strategies }, restarted };
}
