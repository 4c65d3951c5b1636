import { defineEndpoint } from "../endpoint";
import { QuotesSchema } from "../schemas";

/** GET /api/quotes: the quotes board. */
export const quotes = defineEndpoint("quotes", ({ deps, signal }) => deps.marketData.getJson("/quotes", QuotesSchema, { signal }));

export const handler = quotes.lambda();
