import { commandEndpoint } from "../command-endpoint";

/** POST /api/orders: a manual order for a strategy (order.submit). */
export const submitOrder = commandEndpoint("submitOrder", ({ body: { strategyId, ...order } }) => ({
  strategyId,
  payload: { order },
}));

export const handler = submitOrder.lambda();
