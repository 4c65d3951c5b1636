import { Router } from "@tickflow/runtime";

/**
 * The public API's routes (DESIGN.md, Public API): one Lambda handler module per route, and what
 * it reads (a worker's HTTP API, the read side's database, or all of them). The SST
 * Api stack, the local adapter and the OpenAPI document all read this table, so they cannot
 * disagree. The `$default` route (below) is not in it: it is no public route, only the answer
 * to requests that match none.
 */
export const ROUTES = [
  { method: "GET", path: "/api/health", handler: "health", reads: "all" },
  { method: "GET", path: "/api/instruments", handler: "instruments", reads: "market-data" },
  { method: "GET", path: "/api/quotes", handler: "quotes", reads: "market-data" },
  { method: "GET", path: "/api/quotes/{symbol}", handler: "quote", reads: "market-data" },
  { method: "GET", path: "/api/bars/{symbol}", handler: "bars", reads: "database" },
  { method: "GET", path: "/api/strategies", handler: "strategies", reads: "strategy" },
  { method: "GET", path: "/api/strategies/{id}", handler: "strategy", reads: "strategy" },
  { method: "GET", path: "/api/signals", handler: "signals", reads: "database" },
  { method: "GET", path: "/api/orders", handler: "orders", reads: "database" },
  { method: "GET", path: "/api/fills", handler: "fills", reads: "database" },
  { method: "GET", path: "/api/trades", handler: "trades", reads: "database" },
  { method: "GET", path: "/api/equity", handler: "equity", reads: "database" },
  { method: "GET", path: "/api/positions", handler: "positions", reads: "database" },
  { method: "GET", path: "/api/portfolio", handler: "portfolio", reads: "database" },
  { method: "GET", path: "/api/alerts", handler: "alerts", reads: "database" },
  { method: "GET", path: "/api/openapi.json", handler: "openapi", reads: "none" },
] as const;

export type Route = (typeof ROUTES)[number];

/**
 * Handlers that query the read side (PostgreSQL: on AWS through the RDS Data API, so the stacks
 * grant exactly these Data API access); health checks the database too.
 */
export const DATABASE_HANDLERS: readonly HandlerName[] = ROUTES.filter(
  (r) => r.reads === "database" || r.reads === "all",
).map((r) => r.handler);
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
  /** A CSV page's next page is in Link: a dashboard on another origin must be allowed to read it. */
  exposeHeaders: ["link"],
  maxAgeSeconds: 86_400,
} as const;

/** The route table as a router: the local adapter and the `$default` route resolve requests with it. */
export const ROUTER = new Router(ROUTES);
