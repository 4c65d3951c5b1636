import { defineEndpoint } from "../endpoint";
import { StrategiesSchema } from "../../schemas";

/** GET /api/strategies: every running strategy with its account and positions. */
export const strategies = defineEndpoint("strategies", ({ deps }) =>
  deps.strategy.getJson("/strategies", StrategiesSchema),
);

export const handler = strategies.lambda();
