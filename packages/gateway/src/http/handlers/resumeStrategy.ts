import { commandEndpoint } from "../command-endpoint";

/** POST /api/strategies/{id}/resume (strategy.resume). */
export const resumeStrategy = commandEndpoint("resumeStrategy", ({ path }) => ({ strategyId: path.id, payload: {} }));

export const handler = resumeStrategy.lambda();
