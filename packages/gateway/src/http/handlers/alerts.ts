import { defineEndpoint } from "../endpoint";

/** GET /api/alerts?limit=: alerts for risk.halted events, newest first, from the injected alert source. */
export const alerts = defineEndpoint("alerts", ({ query, deps }) => deps.alerts.recent(query.limit));

export const handler = alerts.lambda();
