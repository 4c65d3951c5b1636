import { defineEndpoint } from "../endpoint";
import { StrategyDetailSchema } from "../../schemas";

/** GET /api/strategies/{id}: one strategy with its equity curve; the worker's 404 names an unknown id. */
export const strategy = defineEndpoint("strategy", ({ path, deps }) =>
  deps.strategy.getJson(`/strategies/${encodeURIComponent(path.id)}`, StrategyDetailSchema),
);

export const handler = strategy.lambda();
