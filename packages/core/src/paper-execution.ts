import type { ExecutionSettings } from "./engine-config";
import type { StrategyState, WorkingOrder } from "./engine-state";
import type { CancelReason } from "./events";
import { fromPriceUnits, fromSizeUnits, type Instrument } from "./instrument";
import { feeMicros, fromMicros, notionalMicros } from "./money";
import {
  priceOnGrid,
  sizeOnGrid,
  type Liquidity,
  type OrderChange,
  type OrderRefusal,
  type OrderSide,
  type OrderSpec,
} from "./orders";
import { applyFill, closedTradeView, heldUnits, positionChanged, type AccountState } from "./portfolio";
import { Prng } from "./prng";
import type { TradedSymbol } from "./risk-gate";
import type { FillNotice } from "./strategies/strategy";
import type { Turn } from "./turn";

/** Told of each fill once it is booked and published (the engine passes it to the strategy and checks its drawdown). */
export type FillListener = (turn: Turn, strategyId: string, fill: FillNotice) => void;

/**
 * The paper venue: it works orders against top-of-book quotes as a venue would. A marketable
 * order takes the opposite touch (plus slippage) up to its displayed size and what is left
 * continues on later quotes; a resting limit fills at its price when the touch reaches it (an
 * exact touch fills with the configured probability: the queue ahead of it); a stop triggers on
 * the touch side and then works as a market or limit order. Orders meet quotes from their
 * submission time plus the latency. Brackets place their exits once the entry is done, sized to
 * what it filled, one canceling the other. Everything it keeps is in the engine state.
 */
export class PaperVenue {
  constructor(
    private readonly settings: ExecutionSettings,
    private readonly filled: FillListener,
  ) {}

  /** The strategy's next order id for the symbol: ids depend only on the symbol's own quotes. */
  nextOrderId(strategyId: string, strategy: StrategyState, symbol: string): string {
    const n = (strategy.orderSeq[symbol] ?? 0) + 1;
    strategy.orderSeq[symbol] = n;
    return `${strategyId}:${symbol}:${n}`;
  }

  /** What the venue itself refuses before any risk check: a reduce-only with nothing to reduce, a post-only that would take now. */
  refusal(spec: OrderSpec, target: TradedSymbol, account: AccountState): OrderRefusal | null {
    const held = heldUnits(account, target.instrument.symbol);
    if (spec.reduceOnly && Math.sign(held) !== -spec.side)
      return { reason: "reduce-only-no-position", detail: "a reduce-only order needs a position on the other side" };
    const { bidUnits, askUnits } = target.state;
    if (spec.postOnly && askUnits > 0 && spec.limitUnits !== null) {
      const takes = spec.side > 0 ? askUnits <= spec.limitUnits : bidUnits >= spec.limitUnits;
      if (takes)
        return {
          reason: "post-only-would-take",
          detail: `limit ${fromPriceUnits(spec.limitUnits, target.instrument)} would take the touch (bid ${fromPriceUnits(bidUnits, target.instrument)}, ask ${fromPriceUnits(askUnits, target.instrument)})`,
        };
    }
    return null;
  }

  reject(
    turn: Turn,
    orderId: string,
    strategyId: string,
    instrument: Instrument,
    side: OrderSide,
    quantity: number,
    signalId: string,
    refusal: OrderRefusal,
  ): void {
    const { tick } = turn;
    turn.events.push({
      type: "order.rejected",
      id: `${orderId}:rejected`,
      ts: tick.tsEvent,
      data: {
        orderId,
        strategyId,
        symbol: instrument.symbol,
        side,
        quantity: Math.max(0, quantity),
        ...refusal,
        signalId,
        tsEvent: tick.tsEvent,
        tsInit: tick.tsInit,
      },
    });
  }

  /** Sends an order that passed every check: published as submitted and accepted, then worked from the next quote on. */
  submit(
    turn: Turn,
    orderId: string,
    strategyId: string,
    target: TradedSymbol,
    spec: OrderSpec,
    signalId: string,
    links: { parentId: string | null; ocoId: string | null } = NO_LINKS,
  ): void {
    const { tick } = turn;
    const { instrument } = target;
    const ref = this.ref(orderId, strategyId, instrument, spec.side, turn);
    // fields written out, not spread: an object spread costs about a microsecond here
    turn.events.push({
      type: "order.submitted",
      id: `${orderId}:submitted`,
      ts: tick.tsEvent,
      data: {
        orderId,
        strategyId,
        symbol: ref.symbol,
        side: ref.side,
        tsEvent: ref.tsEvent,
        tsInit: ref.tsInit,
        quantity: fromSizeUnits(spec.qty, instrument),
        type: spec.type,
        timeInForce: spec.tif,
        limitPrice: spec.limitUnits === null ? null : fromPriceUnits(spec.limitUnits, instrument),
        stopPrice: spec.stopUnits === null ? null : fromPriceUnits(spec.stopUnits, instrument),
        expireAt: spec.expireAt,
        reduceOnly: spec.reduceOnly,
        postOnly: spec.postOnly,
        parentId: links.parentId,
        signalId,
      },
    });
    turn.events.push({ type: "order.accepted", id: `${orderId}:accepted`, ts: tick.tsEvent, data: ref });
    target.state.orders.push({
      side: spec.side,
      qty: spec.qty,
      type: spec.type,
      tif: spec.tif,
      limitUnits: spec.limitUnits,
      stopUnits: spec.stopUnits,
      expireAt: spec.expireAt,
      reduceOnly: spec.reduceOnly,
      postOnly: spec.postOnly,
      takeProfitUnits: spec.takeProfitUnits,
      stopLossUnits: spec.stopLossUnits,
      orderId,
      strategyId,
      signalId,
      parentId: links.parentId,
      ocoId: links.ocoId,
      activeAt: tick.tsEvent + this.settings.latencyMs,
      // a post-only order never takes: it rests from the start
      arrived: spec.postOnly,
      triggered: false,
      filled: 0,
      fills: 0,
      filledNotional: 0,
      replaces: 0,
    });
  }

  /** Cancels every working order of the strategy in the symbol (those `only` picks, when given), for `reason`. */
  cancelAll(
    turn: Turn,
    target: TradedSymbol,
    strategyId: string,
    reason: CancelReason,
    only?: (order: WorkingOrder) => boolean,
  ): void {
    for (const order of target.state.orders.slice())
      if (order.strategyId === strategyId && (!only || only(order))) this.cancel(turn, target, order, reason);
  }

  cancel(turn: Turn, target: TradedSymbol, order: WorkingOrder, reason: CancelReason): void {
    const { state, instrument } = target;
    const i = state.orders.indexOf(order);
    if (i < 0) return;
    state.orders.splice(i, 1);
    const { tick } = turn;
    turn.events.push({
      type: "order.canceled",
      id: `${order.orderId}:canceled`,
      ts: tick.tsEvent,
      data: {
        ...this.ref(order.orderId, order.strategyId, instrument, order.side, turn),
        reason,
        filledQuantity: fromSizeUnits(order.filled, instrument),
        canceledQuantity: fromSizeUnits(order.qty - order.filled, instrument),
      },
    });
    // an entry that ends partly filled still gets its exits, for what it filled
    if ((reason === "ioc-remainder" || reason === "expired") && order.filled > 0)
      this.placeBracket(turn, target, order);
  }

  /** Changes a working order's price or total quantity; it loses its place (it meets quotes again after the latency). */
  replace(turn: Turn, target: TradedSymbol, order: WorkingOrder, change: OrderChange): OrderRefusal | null {
    const { instrument } = target;
    let qty = order.qty;
    if (change.quantity !== undefined) {
      const units = sizeOnGrid(change.quantity, instrument);
      if (units === null)
        return { reason: "off-grid-quantity", detail: `quantity ${change.quantity} is not on the size grid` };
      if (units <= order.filled)
        return { reason: "invalid-order", detail: "the new quantity must be above what has filled" };
      qty = units;
    }
    const price = (p: number | undefined, current: number | null, what: string): number | null | OrderRefusal => {
      if (p === undefined) return current;
      if (current === null) return { reason: "invalid-order", detail: `the order has no ${what}` };
      return (
        priceOnGrid(p, instrument) ?? { reason: "off-grid-price", detail: `${what} ${p} is not on the price grid` }
      );
    };
    const limit = price(change.limitPrice, order.limitUnits, "limitPrice");
    const stop = price(change.stopPrice, order.stopUnits, "stopPrice");
    if (limit !== null && typeof limit === "object") return limit;
    if (stop !== null && typeof stop === "object") return stop;
    order.qty = qty;
    order.limitUnits = limit;
    order.stopUnits = stop;
    order.arrived = order.postOnly;
    order.activeAt = turn.tick.tsEvent + this.settings.latencyMs;
    order.replaces += 1;
    turn.events.push({
      type: "order.replaced",
      id: `${order.orderId}:replaced:${order.replaces}`,
      ts: turn.tick.tsEvent,
      data: {
        ...this.ref(order.orderId, order.strategyId, instrument, order.side, turn),
        quantity: fromSizeUnits(qty, instrument),
        limitPrice: limit === null ? null : fromPriceUnits(limit, instrument),
        stopPrice: stop === null ? null : fromPriceUnits(stop, instrument),
      },
    });
    return null;
  }

  /**
   * Works the symbol's orders against this quote (the symbol's state holds it as the last
   * accepted one), oldest first, each taking from what the quote displays so the orders of one
   * quote never fill more than it shows. An order leaves the list just before its last fill is
   * booked, so a halt that fill triggers cancels every other; orders sent meanwhile (the
   * flatten) meet the next quote.
   */
  match(turn: Turn, target: TradedSymbol, strategies: Record<string, StrategyState>): void {
    const { tick } = turn;
    const { instrument, state } = target;
    const inc = instrument.sizeIncrementUnits;
    // the displayed sizes, on the size grid
    let askLeft = Math.floor(Math.round(tick.askSize * instrument.sizeScale) / inc) * inc;
    let bidLeft = Math.floor(Math.round(tick.bidSize * instrument.sizeScale) / inc) * inc;
    for (const order of state.orders.slice()) {
      if (!state.orders.includes(order)) continue;
      if (order.expireAt !== null && tick.tsEvent >= order.expireAt) {
        this.cancel(turn, target, order, "expired");
        continue;
      }
      if (tick.tsEvent < order.activeAt) continue;
      const buy = order.side > 0;
      if (order.stopUnits !== null && !order.triggered) {
        const touch = buy ? state.askUnits : state.bidUnits;
        if (buy ? touch < order.stopUnits : touch > order.stopUnits) continue;
        order.triggered = true;
        order.arrived = false;
        turn.events.push({
          type: "order.triggered",
          id: `${order.orderId}:triggered`,
          ts: tick.tsEvent,
          data: {
            ...this.ref(order.orderId, order.strategyId, instrument, order.side, turn),
            stopPrice: fromPriceUnits(order.stopUnits, instrument),
            touchPrice: fromPriceUnits(touch, instrument),
          },
        });
      }
      const taking = !order.arrived;
      order.arrived = true;
      const fill = this.fillPrice(order, target, taking);
      const account = strategies[order.strategyId]!.account;
      let room = buy ? askLeft : bidLeft;
      if (order.reduceOnly) {
        const held = heldUnits(account, instrument.symbol);
        if (Math.sign(held) !== -order.side) {
          this.cancel(turn, target, order, "reduce-only");
          continue;
        }
        room = Math.min(room, Math.abs(held));
      }
      const leaves = order.qty - order.filled;
      if (taking && order.tif === "FOK" && (fill === null || room < leaves)) {
        this.cancel(turn, target, order, "fok-unfillable");
        continue;
      }
      const qty = fill === null ? 0 : Math.min(leaves, room);
      if (qty > 0) {
        if (buy) askLeft -= qty;
        else bidLeft -= qty;
        if (order.fills === 0 && order.ocoId !== null) {
          const sibling = state.orders.find((o) => o.orderId === order.ocoId);
          if (sibling) this.cancel(turn, target, sibling, "oco");
        }
        const done = qty === leaves;
        if (done) state.orders.splice(state.orders.indexOf(order), 1);
        this.book(turn, target, order, qty, fill!.priceUnits, fill!.liquidity, strategies[order.strategyId]!);
        if (done) {
          // a halt this fill caused is flattening the position: it gets no exits
          if (!strategies[order.strategyId]!.account.halted) this.placeBracket(turn, target, order);
          continue;
        }
        // the fill may have halted the strategy, which cancels its orders
        if (!state.orders.includes(order)) continue;
      }
      if (taking && order.tif === "IOC") this.cancel(turn, target, order, "ioc-remainder");
    }
  }

  /** The price the order gets from this quote and how, or null when it does not fill on it. */
  private fillPrice(
    order: WorkingOrder,
    { instrument, state }: TradedSymbol,
    taking: boolean,
  ): { priceUnits: number; liquidity: Liquidity } | null {
    const buy = order.side > 0;
    const touch = buy ? state.askUnits : state.bidUnits;
    const limit = order.limitUnits;
    if (limit === null) return { priceUnits: this.slipped(touch, order.side, instrument), liquidity: "taker" };
    const through = buy ? touch < limit : touch > limit;
    if (taking) {
      if (!through && touch !== limit) return null;
      const slipped = this.slipped(touch, order.side, instrument);
      return { priceUnits: buy ? Math.min(slipped, limit) : Math.max(slipped, limit), liquidity: "taker" };
    }
    if (through) return { priceUnits: limit, liquidity: "maker" };
    if (touch !== limit) return null;
    const p = this.settings.fillOnTouchProbability;
    if (p < 1) {
      const rng = Prng.restore({ words: state.rng, spareNormal: null });
      const draw = rng.nextFloat();
      state.rng = rng.snapshot().words;
      if (draw >= p) return null;
    }
    return { priceUnits: limit, liquidity: "maker" };
  }

  /** The touch moved against the order by the slippage settings, rounded away from it to the price grid. */
  private slipped(touchUnits: number, side: 1 | -1, instrument: Instrument): number {
    const { slippageBps, slippageTicks } = this.settings;
    if (slippageBps === 0 && slippageTicks === 0) return touchUnits;
    const inc = instrument.priceIncrementUnits;
    const bpsUnits = Math.ceil((touchUnits * slippageBps) / 10_000 / inc) * inc;
    return Math.max(inc, touchUnits + side * (bpsUnits + slippageTicks * inc));
  }

  private book(
    turn: Turn,
    target: TradedSymbol,
    order: WorkingOrder,
    qty: number,
    priceUnits: number,
    liquidity: Liquidity,
    strategy: StrategyState,
  ): void {
    const { tick } = turn;
    const { instrument, state } = target;
    const notional = notionalMicros(priceUnits, qty, instrument);
    const fee = feeMicros(notional, liquidity === "maker" ? this.settings.makerFeeBps : this.settings.takerFeeBps);
    const { realized, position, closed } = applyFill(
      strategy.account,
      instrument,
      order.side * qty,
      priceUnits,
      fee,
      state.bidUnits + state.askUnits,
      tick.tsEvent,
    );
    order.filled += qty;
    order.fills += 1;
    order.filledNotional += notional;
    const { strategyId } = order;
    const quantity = fromSizeUnits(qty, instrument);
    const price = fromPriceUnits(priceUnits, instrument);
    const side: OrderSide = order.side > 0 ? "buy" : "sell";
    turn.events.push({
      type: "order.filled",
      id: `${order.orderId}:filled:${order.fills}`,
      ts: tick.tsEvent,
      data: {
        orderId: order.orderId,
        strategyId,
        symbol: instrument.symbol,
        side,
        tsEvent: tick.tsEvent,
        tsInit: tick.tsInit,
        fillNo: order.fills,
        quantity,
        price,
        liquidity,
        fee: fromMicros(fee),
        realizedPnl: fromMicros(realized),
        cumulativeQuantity: fromSizeUnits(order.filled, instrument),
        leavesQuantity: fromSizeUnits(order.qty - order.filled, instrument),
        averagePrice: roundTo(
          fromMicros(order.filledNotional) / fromSizeUnits(order.filled, instrument),
          instrument.pricePrecision + 4,
        ),
        quoteSeq: tick.seq,
      },
    });
    turn.events.push({
      type: "position.changed",
      id: `${strategyId}:${instrument.symbol}:${order.orderId}:${order.fills}`,
      ts: tick.tsEvent,
      data: positionChanged(strategyId, position, instrument, tick.tsEvent, tick.tsInit),
    });
    if (closed) {
      const seqs = strategy.tradeSeq;
      const n = (seqs[instrument.symbol] ?? 0) + 1;
      seqs[instrument.symbol] = n;
      const tradeId = `${strategyId}:${instrument.symbol}:trade:${n}`;
      turn.events.push({
        type: "trade.closed",
        id: tradeId,
        ts: tick.tsEvent,
        data: {
          tradeId,
          strategyId,
          ...closedTradeView(closed, instrument, tick.tsEvent),
          tsEvent: tick.tsEvent,
          tsInit: tick.tsInit,
        },
      });
    }
    this.filled(turn, strategyId, {
      orderId: order.orderId,
      symbol: instrument.symbol,
      side,
      quantity,
      price,
      liquidity,
      tsEvent: tick.tsEvent,
    });
  }

  /** A done entry's exits: a take-profit limit and a stop-loss stop for what it filled, reduce-only, one canceling the other. */
  private placeBracket(turn: Turn, target: TradedSymbol, entry: WorkingOrder): void {
    const { takeProfitUnits: tp, stopLossUnits: sl } = entry;
    if (tp === null && sl === null) return;
    const exit = {
      side: -entry.side as 1 | -1,
      qty: entry.filled,
      tif: "GTC" as const,
      expireAt: null,
      reduceOnly: true,
      postOnly: false,
      takeProfitUnits: null,
      stopLossUnits: null,
    };
    const tpId = `${entry.orderId}:tp`;
    const slId = `${entry.orderId}:sl`;
    const both = tp !== null && sl !== null;
    if (tp !== null)
      this.submit(
        turn,
        tpId,
        entry.strategyId,
        target,
        { ...exit, type: "limit", limitUnits: tp, stopUnits: null },
        "bracket",
        { parentId: entry.orderId, ocoId: both ? slId : null },
      );
    if (sl !== null)
      this.submit(
        turn,
        slId,
        entry.strategyId,
        target,
        { ...exit, type: "stop", limitUnits: null, stopUnits: sl },
        "bracket",
        { parentId: entry.orderId, ocoId: both ? tpId : null },
      );
  }

  private ref(orderId: string, strategyId: string, instrument: Instrument, side: 1 | -1, turn: Turn) {
    return {
      orderId,
      strategyId,
      symbol: instrument.symbol,
      side: (side > 0 ? "buy" : "sell") as OrderSide,
      tsEvent: turn.tick.tsEvent,
      tsInit: turn.tick.tsInit,
    };
  }
}

const NO_LINKS = { parentId: null, ocoId: null };

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
