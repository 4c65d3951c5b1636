import { defineEndpoint } from "../endpoint";
import { BarsSchema } from "../../schemas";

/** GET /api/bars/{symbol}?interval=&limit=: closed bars, oldest first. */
export const bars = defineEndpoint("bars", ({ path, query, deps }) =>
  deps.strategy.getJson(`/bars/${encodeURIComponent(path.symbol)}`, BarsSchema, {
    query: { interval: query.interval, limit: query.limit },
  }),
);

export const handler = bars.lambda();
