import { Router } from "@tickflow/runtime";

/**
 * The public API's routes (DESIGN.md, Public API): one Lambda handler module per route. The SST
 * Api stack, the local adapter and the OpenAPI document all read this table, so they cannot
 * disagree. The `$default` route (below) is not in it: it is no public route, only the answer
 * to requests that match none.
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
  return `packages/gateway/src/http/handlers/${name}.handler`;
}

/** API Gateway's catch-all route key: requests no route of ROUTES matches (path or method). */
export const DEFAULT_ROUTE_KEY = "$default";

/** The `$default` route's handler: 404 route-not-found (405 for a known path), problem+json with CORS. */
export const DEFAULT_ROUTE_HANDLER = "packages/gateway/src/http/handlers/not-found.handler";

/**
 * What the HTTP API answers a CORS preflight with (stacks/api.ts configures API Gateway with it,
 * and the local adapter answers preflights the same way); the allowed origins are CORS_ORIGINS.
 */
export const CORS_PREFLIGHT = {
  allowMethods: ["GET", "OPTIONS"],
  allowHeaders: ["accept", "content-type"],
  maxAgeSeconds: 86_400,
} as const;

/** The route table as a router: the local adapter and the `$default` route resolve requests with it. */
export const ROUTER = new Router(ROUTES);
