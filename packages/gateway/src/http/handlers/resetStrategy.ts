import { commandEndpoint } from "../command-endpoint";

/** POST /api/strategies/{id}/reset (risk.reset). */
export const resetStrategy = commandEndpoint("resetStrategy", ({ path }) => ({ strategyId: path.id, payload: {} }));

export const handler = resetStrategy.lambda();
