import type { ExecutionSettings } from "./engine-config";
import type { StrategyState } from "./engine-state";
import type { OrderSide } from "./events";
import { fromPriceUnits, fromSizeUnits } from "./instrument";
import { feeMicros, fromMicros, notionalMicros } from "./money";
import { applyFill, positionView } from "./portfolio";
import type { RiskRejection, TradedSymbol } from "./risk-gate";
import type { FillNotice } from "./strategies/strategy";
import type { Turn } from "./turn";

/**
 * Sends a market order for `qty` signed size units, or reports that the risk gate refused it:
 * either way under the strategy's next order id for the symbol. A sent order waits in the
 * symbol's pending list for `latencyTicks` quotes, then fills against the next one.
 */
export function submitOrder(
  turn: Turn,
  settings: ExecutionSettings,
  strategyId: string,
  strategy: StrategyState,
  target: TradedSymbol,
  qty: number,
  signalId: string,
  rejection: RiskRejection | null,
): void {
  const { tick, events } = turn;
  const { instrument } = target;
  const symbol = instrument.symbol;
  const n = (strategy.orderSeq[symbol] ?? 0) + 1;
  strategy.orderSeq[symbol] = n;
  const orderId = `${strategyId}:${symbol}:${n}`;
  const side: OrderSide = qty > 0 ? "buy" : "sell";
  const base = { orderId, strategyId, symbol, side, quantity: fromSizeUnits(Math.abs(qty), instrument), signalId };
  if (rejection) {
    events.push({
      type: "order.rejected",
      id: `${orderId}:rejected`,
      ts: tick.tsEvent,
      data: { ...base, ...rejection, tsEvent: tick.tsEvent, tsInit: tick.tsInit },
    });
    return;
  }
  events.push({
    type: "order.submitted",
    id: `${orderId}:submitted`,
    ts: tick.tsEvent,
    data: { ...base, type: "market", tsEvent: tick.tsEvent, tsInit: tick.tsInit },
  });
  target.state.pending.push({ orderId, strategyId, symbol, qty, wait: settings.latencyTicks, signalId });
}

/** Told of each fill once it is booked and published (the engine passes it to the strategy and checks its drawdown). */
export type FillListener = (turn: Turn, strategyId: string, fill: FillNotice) => void;

/**
 * Fills the symbol's orders that are due at the touch of this quote (the symbol's state holds it
 * as the last accepted one): buys at the ask, sells at the bid, with the fee. Each order leaves the
 * pending list just before it is booked, so a halt triggered by a fill flattens the position
 * together with every order still in flight; orders queued meanwhile (the flatten) fill against
 * the next quote.
 */
export function fillDue(
  turn: Turn,
  settings: ExecutionSettings,
  target: TradedSymbol,
  strategies: Record<string, StrategyState>,
  filled: FillListener,
): void {
  const { tick, events } = turn;
  const { instrument, state } = target;
  const mid2 = state.bidUnits + state.askUnits;
  for (const order of state.pending.slice()) {
    if (order.wait > 0) {
      order.wait -= 1;
      continue;
    }
    state.pending.splice(state.pending.indexOf(order), 1);
    const { strategyId } = order;
    const priceUnits = order.qty > 0 ? state.askUnits : state.bidUnits;
    const fee = feeMicros(notionalMicros(priceUnits, Math.abs(order.qty), instrument), settings.feeBps);
    const { realized, position } = applyFill(
      strategies[strategyId]!.account,
      instrument,
      order.qty,
      priceUnits,
      fee,
      mid2,
    );
    const side: OrderSide = order.qty > 0 ? "buy" : "sell";
    const quantity = fromSizeUnits(Math.abs(order.qty), instrument);
    const price = fromPriceUnits(priceUnits, instrument);
    events.push({
      type: "order.filled",
      id: `${order.orderId}:filled`,
      ts: tick.tsEvent,
      data: {
        orderId: order.orderId,
        strategyId,
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
    events.push({
      type: "position.changed",
      id: `${strategyId}:${instrument.symbol}:${order.orderId}`,
      ts: tick.tsEvent,
      data: { strategyId, ...positionView(position, instrument), tsEvent: tick.tsEvent, tsInit: tick.tsInit },
    });
    filled(turn, strategyId, { symbol: instrument.symbol, side, quantity, price, tsEvent: tick.tsEvent });
  }
}
