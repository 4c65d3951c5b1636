import { fromMicros, midValueMicros, mulDivRound, notionalMicros, type Micros } from "./money";
import { fromPriceUnits, fromSizeUnits, type Instrument } from "./instrument";
import type { PositionView } from "./views";

/** One strategy's holding in one symbol. Quantities in size units, money in micros. */
export interface PositionState {
  /** Signed: long > 0, short < 0. */
  qty: number;
  /** Signed cost of the open quantity: what was paid (long) or received (short, negative). */
  basis: Micros;
  realized: Micros;
  fees: Micros;
  /** Value of qty at the last mid; equals basis + unrealized. */
  mark: Micros;
  /** Last mark price as price units times 2 (mid of two integers can be a half unit). */
  mid2Units: number;
}

/** [tsEvent, equity in micros] */
export type EquityPoint = [number, Micros];

/** One strategy's account: cash, positions and the drawdown tracker. JSON all the way down. */
export interface AccountState {
  startingCash: Micros;
  cash: Micros;
  positions: Record<string, PositionState>;
  /** Sum of position marks, kept incrementally so equity is O(1) per tick. */
  markSum: Micros;
  peakEquity: Micros;
  /** Largest peak-to-trough fall seen, as a fraction of the peak. */
  maxDrawdown: number;
  halted: boolean;
  closingFills: number;
  winningFills: number;
}

export interface FillResult {
  realized: Micros;
  position: PositionState;
}

export function newAccount(startingCash: Micros): AccountState {
  return {
    startingCash,
    cash: startingCash,
    positions: {},
    markSum: 0,
    peakEquity: startingCash,
    maxDrawdown: 0,
    halted: false,
    closingFills: 0,
    winningFills: 0,
  };
}

export function positionOf(account: AccountState, symbol: string): PositionState {
  let position = account.positions[symbol];
  if (!position) {
    position = { qty: 0, basis: 0, realized: 0, fees: 0, mark: 0, mid2Units: 0 };
    account.positions[symbol] = position;
  }
  return position;
}

export function equity(account: AccountState): Micros {
  return account.cash + account.markSum;
}

export function drawdown(account: AccountState): number {
  return account.peakEquity > 0 ? (account.peakEquity - equity(account)) / account.peakEquity : 0;
}

/**
 * Books a fill, then marks the position at the current mid (given as twice its price units, like
 * markPosition). Reducing a position releases a pro-rata share of its cost basis (rounded
 * half-even to a micro; the remainder stays in the basis, so money is conserved exactly) and
 * realizes the difference; a fill larger than the position closes it and opens the other way.
 */
export function applyFill(
  account: AccountState,
  instrument: Instrument,
  signedQty: number,
  priceUnits: number,
  fee: Micros,
  mid2Units: number,
): FillResult {
  const position = positionOf(account, instrument.symbol);
  const side = Math.sign(signedQty);
  const size = Math.abs(signedQty);
  account.cash -= side * notionalMicros(priceUnits, size, instrument) + fee;
  position.fees += fee;

  let realized = 0;
  let opening = size;
  if (position.qty !== 0 && Math.sign(position.qty) !== side) {
    const held = Math.abs(position.qty);
    const closing = Math.min(size, held);
    const released = mulDivRound(position.basis, closing, held);
    realized = Math.sign(position.qty) * notionalMicros(priceUnits, closing, instrument) - released;
    position.basis -= released;
    position.qty += side * closing;
    position.realized += realized;
    opening = size - closing;
    account.closingFills += 1;
    if (realized > 0) account.winningFills += 1;
  }
  if (opening > 0) {
    position.qty += side * opening;
    position.basis += side * notionalMicros(priceUnits, opening, instrument);
  }
  if (position.qty === 0) position.basis = 0;
  markPosition(account, position, instrument, mid2Units);
  updatePeak(account);
  return { realized, position };
}

/** Re-values a position at a mid given as twice its price units; keeps markSum in step. */
export function markPosition(
  account: AccountState,
  position: PositionState,
  instrument: Instrument,
  mid2Units: number,
): void {
  position.mid2Units = mid2Units;
  const mark = position.qty === 0 ? 0 : midValueMicros(mid2Units, position.qty, instrument);
  account.markSum += mark - position.mark;
  position.mark = mark;
}

/** Tracks the equity peak and the worst drawdown; returns the current drawdown. */
export function updatePeak(account: AccountState): number {
  const eq = equity(account);
  if (eq > account.peakEquity) account.peakEquity = eq;
  const dd = drawdown(account);
  if (dd > account.maxDrawdown) account.maxDrawdown = dd;
  return dd;
}

/**
 * Samples the account's equity into its curve at `ts`, keeping the last `limit` points when given.
 * Other symbols' quotes at the same instant still move equity, so a sample at the last point's
 * time updates it; a sample from before it is dropped.
 */
export function recordEquity(curve: EquityPoint[], account: AccountState, ts: number, limit: number | undefined): void {
  const last = curve[curve.length - 1];
  if (last && last[0] > ts) return;
  if (last && last[0] === ts) {
    last[1] = equity(account);
    return;
  }
  curve.push([ts, equity(account)]);
  if (limit !== undefined && curve.length > limit) curve.splice(0, curve.length - limit);
}

/** Totals of an account in micros. */
export function accountTotals(account: AccountState): {
  realized: Micros;
  unrealized: Micros;
  fees: Micros;
  equity: Micros;
  grossExposure: Micros;
} {
  let realized = 0;
  let unrealized = 0;
  let fees = 0;
  let grossExposure = 0;
  for (const p of Object.values(account.positions)) {
    realized += p.realized;
    unrealized += p.mark - p.basis;
    fees += p.fees;
    grossExposure += Math.abs(p.mark);
  }
  return { realized, unrealized, fees, equity: equity(account), grossExposure };
}

/** The decimal view of a position, as published in `position.changed`. */
export function positionView(position: PositionState, instrument: Instrument): PositionView {
  const quantity = fromSizeUnits(position.qty, instrument);
  return {
    symbol: instrument.symbol,
    quantity,
    averagePrice:
      position.qty === 0 ? 0 : roundTo(fromMicros(position.basis) / quantity, instrument.pricePrecision + 4),
    costBasis: fromMicros(position.basis),
    realizedPnl: fromMicros(position.realized),
    unrealizedPnl: fromMicros(position.mark - position.basis),
    fees: fromMicros(position.fees),
    markPrice: fromPriceUnits(position.mid2Units / 2, instrument),
  };
}

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
