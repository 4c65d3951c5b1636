import { fromMicros, midValueMicros, mulDivRound, notionalMicros, type Micros } from "./money";
import { fromPriceUnits, fromSizeUnits, type Instrument } from "./instrument";
import type { PositionChanged } from "./events";
import type { ClosedTrade } from "./performance";
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
  /** The round trip the position is in, while it is not flat. */
  trade: OpenTrade | null;
}

/** A round trip while it is open: what went in, what came out, and how far it swung. Money in micros. */
export interface OpenTrade {
  /** 1 long, -1 short. */
  side: 1 | -1;
  entryTs: number;
  /** Largest size held, in size units. */
  peakQty: number;
  entryQty: number;
  entryNotional: Micros;
  exitQty: number;
  exitNotional: Micros;
  /** Realized so far (partial exits), before fees. */
  gross: Micros;
  fees: Micros;
  /** Worst and best open PnL (realized so far plus unrealized, before fees). */
  mae: Micros;
  mfe: Micros;
}

/** [tsEvent, equity in micros] */
export type EquityPoint = [number, Micros];

/** The highest equity since start and the falls from it: one per strategy, and one for them all. */
export interface DrawdownTracker {
  peakEquity: Micros;
  /** Largest peak-to-trough fall seen, as a fraction of the peak. */
  maxDrawdown: number;
  /** When equity was last at its peak (null before the first look at it). */
  peakTs: number | null;
  /** Longest time spent below a peak, in ms (the current fall included). */
  maxDrawdownMs: number;
}

/** One strategy's account: cash, positions and the drawdown tracker. JSON all the way down. */
export interface AccountState extends DrawdownTracker {
  startingCash: Micros;
  cash: Micros;
  positions: Record<string, PositionState>;
  /** Sum of position marks, kept incrementally so equity is O(1) per tick. */
  markSum: Micros;
  halted: boolean;
  closingFills: number;
  winningFills: number;
}

export interface FillResult {
  realized: Micros;
  position: PositionState;
  /** The round trip this fill ended, if it took the position to flat or through it. */
  closed: OpenTrade | null;
}

export function newAccount(startingCash: Micros): AccountState {
  return {
    startingCash,
    cash: startingCash,
    positions: {},
    markSum: 0,
    peakEquity: startingCash,
    maxDrawdown: 0,
    peakTs: null,
    maxDrawdownMs: 0,
    halted: false,
    closingFills: 0,
    winningFills: 0,
  };
}

export function positionOf(account: AccountState, symbol: string): PositionState {
  let position = account.positions[symbol];
  if (!position) {
    position = { qty: 0, basis: 0, realized: 0, fees: 0, mark: 0, mid2Units: 0, trade: null };
    account.positions[symbol] = position;
  }
  return position;
}

/** The account's signed position in `symbol`, in size units (0 when it never held it). */
export function heldUnits(account: AccountState, symbol: string): number {
  return account.positions[symbol]?.qty ?? 0;
}

export function equity(account: AccountState): Micros {
  return account.cash + account.markSum;
}

export function drawdown(account: AccountState): number {
  return account.peakEquity > 0 ? (account.peakEquity - equity(account)) / account.peakEquity : 0;
}

/**
 * Books a fill at `ts`, then marks the position at the current mid (given as twice its price
 * units, like markPosition). Reducing a position releases a pro-rata share of its cost basis
 * (rounded half-even to a micro; the remainder stays in the basis, so money is conserved exactly)
 * and realizes the difference; a fill larger than the position closes it and opens the other way.
 * The round trip follows along: a fill through zero ends it (with the share of the fee that
 * closed) and starts the next with the rest.
 */
export function applyFill(
  account: AccountState,
  instrument: Instrument,
  signedQty: number,
  priceUnits: number,
  fee: Micros,
  mid2Units: number,
  ts: number,
): FillResult {
  const position = positionOf(account, instrument.symbol);
  const side = Math.sign(signedQty) as 1 | -1;
  const size = Math.abs(signedQty);
  account.cash -= side * notionalMicros(priceUnits, size, instrument) + fee;
  position.fees += fee;

  let realized = 0;
  let opening = size;
  let openingFee = fee;
  let closed: OpenTrade | null = null;
  if (position.qty !== 0 && Math.sign(position.qty) !== side) {
    const held = Math.abs(position.qty);
    const closing = Math.min(size, held);
    const released = mulDivRound(position.basis, closing, held);
    const closingNotional = notionalMicros(priceUnits, closing, instrument);
    realized = Math.sign(position.qty) * closingNotional - released;
    position.basis -= released;
    position.qty += side * closing;
    position.realized += realized;
    opening = size - closing;
    account.closingFills += 1;
    if (realized > 0) account.winningFills += 1;
    const closingFee = opening > 0 ? mulDivRound(fee, closing, size) : fee;
    openingFee = fee - closingFee;
    const trade = position.trade;
    if (trade) {
      trade.exitQty += closing;
      trade.exitNotional += closingNotional;
      trade.gross += realized;
      trade.fees += closingFee;
      if (position.qty === 0) {
        closed = trade;
        position.trade = null;
      }
    }
  }
  if (opening > 0) {
    position.qty += side * opening;
    position.basis += side * notionalMicros(priceUnits, opening, instrument);
    const trade = (position.trade ??= {
      side,
      entryTs: ts,
      peakQty: 0,
      entryQty: 0,
      entryNotional: 0,
      exitQty: 0,
      exitNotional: 0,
      gross: 0,
      fees: 0,
      mae: 0,
      mfe: 0,
    });
    trade.entryQty += opening;
    trade.entryNotional += notionalMicros(priceUnits, opening, instrument);
    trade.fees += openingFee;
    trade.peakQty = Math.max(trade.peakQty, Math.abs(position.qty));
  }
  if (position.qty === 0) position.basis = 0;
  markPosition(account, position, instrument, mid2Units);
  updatePeak(account, ts);
  return { realized, position, closed };
}

/** A closed round trip in currency units, as `trade.closed` publishes it. */
export function closedTradeView(trade: OpenTrade, instrument: Instrument, exitTs: number): ClosedTrade {
  const decimals = instrument.pricePrecision + 4;
  const perUnit = (notional: Micros, qty: number) =>
    roundTo(fromMicros(notional) / fromSizeUnits(qty, instrument), decimals);
  return {
    symbol: instrument.symbol,
    side: trade.side > 0 ? "long" : "short",
    quantity: fromSizeUnits(trade.peakQty, instrument),
    entryPrice: perUnit(trade.entryNotional, trade.entryQty),
    exitPrice: perUnit(trade.exitNotional, trade.exitQty),
    entryTs: trade.entryTs,
    exitTs,
    holdingMs: exitTs - trade.entryTs,
    grossPnl: fromMicros(trade.gross),
    fees: fromMicros(trade.fees),
    netPnl: fromMicros(trade.gross - trade.fees),
    maxAdverseExcursion: fromMicros(trade.mae),
    maxFavorableExcursion: fromMicros(trade.mfe),
  };
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
  const trade = position.trade;
  if (trade) {
    const open = trade.gross + mark - position.basis;
    if (open < trade.mae) trade.mae = open;
    if (open > trade.mfe) trade.mfe = open;
  }
}

/** Tracks the account's equity peak since start, the worst drawdown and the longest time below a peak; returns the current drawdown. */
export function updatePeak(account: AccountState, ts: number): number {
  return trackPeak(account, equity(account), ts);
}

/** Moves a drawdown tracker to equity `eq` at `ts`; returns the drawdown there. */
export function trackPeak(tracker: DrawdownTracker, eq: Micros, ts: number): number {
  if (eq >= tracker.peakEquity) {
    tracker.peakEquity = eq;
    tracker.peakTs = ts;
  } else {
    // below the starting cash at the first look: the fall is timed from then
    tracker.peakTs ??= ts;
    tracker.maxDrawdownMs = Math.max(tracker.maxDrawdownMs, ts - tracker.peakTs);
  }
  const dd = tracker.peakEquity > 0 ? (tracker.peakEquity - eq) / tracker.peakEquity : 0;
  if (dd > tracker.maxDrawdown) tracker.maxDrawdown = dd;
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

/** A `position.changed` event's data: the position's decimal view, whose it is and when. */
export function positionChanged(
  strategyId: string,
  position: PositionState,
  instrument: Instrument,
  tsEvent: number,
  tsInit: number,
): PositionChanged {
  const v = positionView(position, instrument);
  // written out, not spread: an object spread costs about a microsecond per event
  return {
    strategyId,
    symbol: v.symbol,
    quantity: v.quantity,
    averagePrice: v.averagePrice,
    costBasis: v.costBasis,
    realizedPnl: v.realizedPnl,
    unrealizedPnl: v.unrealizedPnl,
    fees: v.fees,
    markPrice: v.markPrice,
    tsEvent,
    tsInit,
  };
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
