import { commandEndpoint } from "../command-endpoint";

/** POST /api/strategies: a new strategy instance (strategy.add). */
export const addStrategy = commandEndpoint("addStrategy", ({ body: { id, ...payload } }) => ({
  strategyId: id,
  payload,
}));

export const handler = addStrategy.lambda();
