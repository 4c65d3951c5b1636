import { commandEndpoint } from "../command-endpoint";

/** POST /api/strategies/{id}/flatten: cancel and close at market, one symbol or all (strategy.flatten). */
export const flattenStrategy = commandEndpoint("flattenStrategy", ({ path, body }) => ({
  strategyId: path.id,
  payload: body,
}));

export const handler = flattenStrategy.lambda();
