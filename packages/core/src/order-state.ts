/**
 * An order's latest state folded from its lifecycle events. Here because two sides keep it and
 * must agree: the read side's projection stores it (packages/read-side/src/projection.ts) and the
 * dashboard updates its cached orders from the stream with it (web/src/api/stream.ts).
 */
import type { EventData } from "./events";
import type { OrderStateView } from "./views";

export type OrderStatus = OrderStateView["status"];

/** Later statuses never move back to earlier ones (a late accepted after a fill, say). */
export const ORDER_STATUS_RANK: Record<OrderStatus, number> = {
  submitted: 0,
  working: 1,
  triggered: 2,
  "partially-filled": 3,
  filled: 4,
  canceled: 4,
  rejected: 4,
};

type OrderEventType =
  | "order.submitted"
  | "order.accepted"
  | "order.triggered"
  | "order.filled"
  | "order.canceled"
  | "order.replaced"
  | "order.rejected";

/** An order event as the fold reads it: its type and data (of a bus event or of a stream message). */
export type OrderLifecycleEvent = { [T in OrderEventType]: { type: T; data: EventData<T> } }[OrderEventType];

/**
 * An order's state after one of its events: `previous` is what is known of the order (undefined:
 * nothing, and the fields only its order.submitted says stay null).
 */
export function foldOrder(previous: OrderStateView | undefined, event: OrderLifecycleEvent): OrderStateView {
  const d = event.data;
  const order: OrderStateView = previous
    ? { ...previous }
    : {
        orderId: d.orderId,
        strategyId: d.strategyId,
        symbol: d.symbol,
        side: d.side,
        type: null,
        timeInForce: null,
        quantity: null,
        limitPrice: null,
        stopPrice: null,
        parentId: null,
        signalId: null,
        status: "submitted",
        filledQuantity: 0,
        averagePrice: null,
        reason: null,
        submittedAt: null,
        updatedAt: d.tsEvent,
      };
  order.updatedAt = Math.max(order.updatedAt, d.tsEvent);
  const status = (s: OrderStatus) => {
    if (ORDER_STATUS_RANK[s] >= ORDER_STATUS_RANK[order.status]) order.status = s;
  };
  switch (event.type) {
    case "order.submitted":
      Object.assign(order, {
        type: event.data.type,
        timeInForce: event.data.timeInForce,
        quantity: event.data.quantity,
        limitPrice: event.data.limitPrice,
        stopPrice: event.data.stopPrice,
        parentId: event.data.parentId,
        signalId: event.data.signalId,
        submittedAt: event.data.tsEvent,
      });
      status("submitted");
      break;
    case "order.accepted":
      status("working");
      break;
    case "order.triggered":
      status("triggered");
      break;
    case "order.filled":
      order.filledQuantity = Math.max(order.filledQuantity, event.data.cumulativeQuantity);
      order.averagePrice = event.data.averagePrice;
      status(event.data.leavesQuantity === 0 ? "filled" : "partially-filled");
      break;
    case "order.canceled":
      order.reason = event.data.reason;
      status("canceled");
      break;
    case "order.replaced":
      order.quantity = event.data.quantity;
      order.limitPrice = event.data.limitPrice;
      order.stopPrice = event.data.stopPrice;
      break;
    case "order.rejected":
      order.reason = event.data.reason;
      order.quantity ??= event.data.quantity;
      order.signalId ??= event.data.signalId;
      status("rejected");
      break;
  }
  return order;
}
