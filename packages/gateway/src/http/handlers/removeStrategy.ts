import { commandEndpoint } from "../command-endpoint";

/** DELETE /api/strategies/{id}: remove a flat strategy (strategy.remove). */
export const removeStrategy = commandEndpoint("removeStrategy", ({ path }) => ({ strategyId: path.id, payload: {} }));

export const handler = removeStrategy.lambda();
