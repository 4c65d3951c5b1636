import { commandEndpoint } from "../command-endpoint";

/** PATCH /api/strategies/{id}: change parameters (strategy.params). */
export const changeStrategy = commandEndpoint("changeStrategy", ({ path, body }) => ({
  strategyId: path.id,
  payload: body,
}));

export const handler = changeStrategy.lambda();
