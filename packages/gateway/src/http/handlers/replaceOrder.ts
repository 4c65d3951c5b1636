import { commandEndpoint, strategyOfOrder } from "../command-endpoint";

/** PATCH /api/orders/{id}: change a working order's quantity or prices (order.replace). */
export const replaceOrder = commandEndpoint("replaceOrder", ({ path, body }) => ({
  strategyId: strategyOfOrder(path.id),
  payload: { orderId: path.id, ...body },
}));

export const handler = replaceOrder.lambda();
