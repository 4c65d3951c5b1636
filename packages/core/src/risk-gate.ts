import type { RiskLimits } from "./engine-config";
import type { SymbolState } from "./engine-state";
import type { RejectReason } from "./orders";
import type { Instrument } from "./instrument";
import { floorDiv, fromMicros, midValueMicros, notionalMicros, toMicros, type Micros } from "./money";
import { heldUnits, type AccountState } from "./portfolio";

/*
 * The pre-trade checks and the drawdown halt rule: pure functions of the engine state. They
 * decide and never book or emit; the engine acts on what they say.
 */

/** The risk limits as the checks compare them: notionals in micros. */
export interface RiskGate {
  readonly maxPosition: Micros;
  readonly maxGross: Micros;
  readonly maxDrawdownPct: number;
}

export function riskGate(limits: RiskLimits): RiskGate {
  return {
    maxPosition: toMicros(limits.maxPositionNotional),
    maxGross: toMicros(limits.maxGrossNotional),
    maxDrawdownPct: limits.maxDrawdownPct,
  };
}

/** A symbol a strategy trades, as the checks see it: the instrument and the engine's state of it (last accepted quote, working orders). */
export interface TradedSymbol {
  readonly instrument: Instrument;
  readonly state: SymbolState;
}

export interface RiskRejection {
  reason: RejectReason;
  detail: string;
}

/**
 * Position plus what its working orders would add if they filled, in signed size units.
 * Reduce-only orders (bracket exits among them) can only take a position back towards zero, so
 * they add nothing.
 */
export function exposure(strategyId: string, account: AccountState, symbol: TradedSymbol): number {
  let qty = heldUnits(account, symbol.instrument.symbol);
  for (const o of symbol.state.orders)
    if (o.strategyId === strategyId && !o.reduceOnly) qty += o.side * (o.qty - o.filled);
  return qty;
}

/** Whole size increments worth at most `tradeNotional` at this price, in size units. */
export function sizeFor(tradeNotional: Micros, priceUnits: number, instrument: Instrument): number {
  const lotValue = notionalMicros(priceUnits, instrument.sizeIncrementUnits, instrument);
  return floorDiv(tradeNotional, lotValue) * instrument.sizeIncrementUnits;
}

/**
 * Why an order of `delta` size units on `target`, where the strategy's exposure is `current`,
 * must not go out; null when it may. `traded` is every symbol the strategy trades: the gross
 * limit counts the others with their orders still in flight, valued at their last mid.
 */
export function preTradeCheck(
  gate: RiskGate,
  strategyId: string,
  account: AccountState,
  traded: readonly TradedSymbol[],
  target: TradedSymbol,
  current: number,
  delta: number,
): RiskRejection | null {
  if (account.halted) return { reason: "strategy-halted", detail: "halted by the drawdown limit until reset" };
  const { instrument, state } = target;
  const price = delta > 0 ? state.askUnits : state.bidUnits;
  const before = notionalMicros(price, Math.abs(current), instrument);
  const after = notionalMicros(price, Math.abs(current + delta), instrument);
  if (after <= before) return null; // reducing exposure is always allowed
  if (after > gate.maxPosition) {
    return {
      reason: "max-position",
      detail: `position notional ${fromMicros(after)} would exceed ${fromMicros(gate.maxPosition)}`,
    };
  }
  let others = 0;
  for (const other of traded) {
    if (other.instrument.symbol === instrument.symbol) continue;
    others += Math.abs(
      midValueMicros(
        other.state.bidUnits + other.state.askUnits,
        exposure(strategyId, account, other),
        other.instrument,
      ),
    );
  }
  if (others + after > gate.maxGross) {
    return {
      reason: "max-gross-notional",
      detail: `gross notional ${fromMicros(others + after)} would exceed ${fromMicros(gate.maxGross)}`,
    };
  }
  return null;
}

/** Whether drawdown `dd` halts the strategy now: at or beyond the limit, and not halted already. */
export function haltsAt(gate: RiskGate, account: AccountState, dd: number): boolean {
  return !account.halted && dd >= gate.maxDrawdownPct;
}
