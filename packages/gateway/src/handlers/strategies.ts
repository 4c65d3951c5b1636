import { defineEndpoint } from "../endpoint";
import { StrategiesSchema } from "../schemas";

/** GET /api/strategies: every running strategy with its account and positions. */
export const strategies = defineEndpoint("strategies", ({ deps, signal }) => deps.strategy.getJson("/strategies", StrategiesSchema, { signal }));

export const handler = strategies.lambda();
