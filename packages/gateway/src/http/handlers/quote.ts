import { defineEndpoint } from "../endpoint";
import { QuoteDetailSchema } from "../../schemas";

/** GET /api/quotes/{symbol}?limit=: one symbol's latest quote and recent history. */
export const quote = defineEndpoint("quote", ({ path, query, deps }) =>
  deps.marketData.getJson(`/quotes/${encodeURIComponent(path.symbol)}`, QuoteDetailSchema, {
    query: { limit: query.limit },
  }),
);

export const handler = quote.lambda();
