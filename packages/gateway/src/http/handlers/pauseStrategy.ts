import { commandEndpoint } from "../command-endpoint";

/** POST /api/strategies/{id}/pause (strategy.pause). */
export const pauseStrategy = commandEndpoint("pauseStrategy", ({ path }) => ({ strategyId: path.id, payload: {} }));

export const handler = pauseStrategy.lambda();
