import { defineEndpoint } from "../endpoint";
import { SignalsSchema } from "../../schemas";

/** GET /api/signals?symbol=&strategy=&limit=: recent signals, newest first. */
export const signals = defineEndpoint("signals", ({ query, deps }) =>
  deps.strategy.getJson("/signals", SignalsSchema, {
    query: { symbol: query.symbol, strategy: query.strategy, limit: query.limit },
  }),
);

export const handler = signals.lambda();
