import { defineEndpoint } from "../endpoint";
import { InstrumentsSchema } from "../../schemas";

/** GET /api/instruments: the market-data worker's universe. */
export const instruments = defineEndpoint("instruments", ({ deps }) =>
  deps.marketData.getJson("/instruments", InstrumentsSchema),
);

export const handler = instruments.lambda();
