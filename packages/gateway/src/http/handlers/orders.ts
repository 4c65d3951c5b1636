import { defineEndpoint } from "../endpoint";
import { OrdersSchema } from "../../schemas";

/** GET /api/orders?symbol=&strategy=&type=&limit=: recent order events, newest first. */
export const orders = defineEndpoint("orders", ({ query, deps }) =>
  deps.strategy.getJson("/orders", OrdersSchema, {
    query: { symbol: query.symbol, strategy: query.strategy, type: query.type, limit: query.limit },
  }),
);

export const handler = orders.lambda();
