import { defineEndpoint } from "../endpoint";
import { OrdersSchema } from "../schemas";

/** GET /api/orders?symbol=&strategy=&type=&limit=: recent order events, newest first. */
export const orders = defineEndpoint("orders", ({ query, deps, signal }) =>
  deps.strategy.getJson("/orders", OrdersSchema, { query: { symbol: query.symbol, strategy: query.strategy, type: query.type, limit: query.limit }, signal }),
);

export const handler = orders.lambda();
