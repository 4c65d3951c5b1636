import { defineEndpoint } from "../endpoint";
import { QuotesSchema } from "../../schemas";

/** GET /api/quotes: the quotes board. */
export const quotes = defineEndpoint("quotes", ({ deps }) => deps.marketData.getJson("/quotes", QuotesSchema));

export const handler = quotes.lambda();
