import { commandEndpoint, strategyOfOrder } from "../command-endpoint";

/** DELETE /api/orders/{id}: cancel a working order (order.cancel). */
export const cancelOrder = commandEndpoint("cancelOrder", ({ path }) => ({
  strategyId: strategyOfOrder(path.id),
  payload: { orderId: path.id },
}));

export const handler = cancelOrder.lambda();
