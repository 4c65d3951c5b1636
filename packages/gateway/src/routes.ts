/**
 * The public API's routes (DESIGN.md, Public API): one Lambda handler module per route. The SST
 * Api stack and the local adapter both read this table, so they cannot disagree.
 */
export const ROUTES = [
  { method: "GET", path: "/api/health", handler: "health" },
  { method: "GET", path: "/api/instruments", handler: "instruments" },
  { method: "GET", path: "/api/quotes", handler: "quotes" },
  { method: "GET", path: "/api/quotes/{symbol}", handler: "quote" },
  { method: "GET", path: "/api/bars/{symbol}", handler: "bars" },
  { method: "GET", path: "/api/strategies", handler: "strategies" },
  { method: "GET", path: "/api/strategies/{id}", handler: "strategy" },
  { method: "GET", path: "/api/signals", handler: "signals" },
  { method: "GET", path: "/api/orders", handler: "orders" },
  { method: "GET", path: "/api/positions", handler: "positions" },
  { method: "GET", path: "/api/portfolio", handler: "portfolio" },
  { method: "GET", path: "/api/alerts", handler: "alerts" },
  { method: "GET", path: "/api/openapi.json", handler: "openapi" },
] as const;

export type Route = (typeof ROUTES)[number];
export type HandlerName = Route["handler"];

/** The handler's module, relative to the repository root, in the `file.export` form SST takes. */
export function handlerPath(name: HandlerName): string {
  return `packages/gateway/src/handlers/${name}.handler`;
}

/** The risk/alerts consumer: triggered by an MSK event source on strategy.risk.v1 and strategy.orders.v1. */
export const RISK_CONSUMER_HANDLER = "packages/gateway/src/risk-consumer.handler";
