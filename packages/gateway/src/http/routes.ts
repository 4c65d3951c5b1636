import { Router } from "@tickflow/runtime";

/**
 * The public API's routes (DESIGN.md, Public API): one Lambda handler module per route, and what
 * it reads (a worker's HTTP API, the read side's database, or all of them). The SST
 * Api stack, the local adapter and the OpenAPI document all read this table, so they cannot
 * disagree. The `$default` route (below) is not in it: it is no public route, only the answer
 * to requests that match none.
 */
export const ROUTES = [
  { method: "GET", path: "/api/health", handler: "health", reads: "all", access: "open" },
  { method: "GET", path: "/api/instruments", handler: "instruments", reads: "market-data", access: "read" },
  { method: "GET", path: "/api/quotes", handler: "quotes", reads: "market-data", access: "read" },
  { method: "GET", path: "/api/quotes/{symbol}", handler: "quote", reads: "market-data", access: "read" },
  { method: "GET", path: "/api/bars/{symbol}", handler: "bars", reads: "database", access: "read" },
  { method: "GET", path: "/api/strategies", handler: "strategies", reads: "strategy", access: "read" },
  { method: "GET", path: "/api/strategies/{id}", handler: "strategy", reads: "strategy", access: "read" },
  { method: "GET", path: "/api/strategy-kinds", handler: "strategyKinds", reads: "none", access: "read" },
  { method: "GET", path: "/api/signals", handler: "signals", reads: "database", access: "read" },
  { method: "GET", path: "/api/orders", handler: "orders", reads: "database", access: "read" },
  { method: "GET", path: "/api/fills", handler: "fills", reads: "database", access: "read" },
  { method: "GET", path: "/api/trades", handler: "trades", reads: "database", access: "read" },
  { method: "GET", path: "/api/equity", handler: "equity", reads: "database", access: "read" },
  { method: "GET", path: "/api/positions", handler: "positions", reads: "database", access: "read" },
  { method: "GET", path: "/api/portfolio", handler: "portfolio", reads: "database", access: "read" },
  { method: "GET", path: "/api/alerts", handler: "alerts", reads: "database", access: "read" },
  { method: "GET", path: "/api/commands", handler: "commands", reads: "database", access: "read" },
  { method: "GET", path: "/api/commands/{id}", handler: "command", reads: "database", access: "read" },
  { method: "GET", path: "/api/openapi.json", handler: "openapi", reads: "none", access: "read" },
  // Commands: each publishes command.submitted on strategy.commands.v1 and answers 202 (the read
  // side is read to honour an Idempotency-Key). A trader's token is needed everywhere.
  {
    method: "POST",
    path: "/api/strategies",
    handler: "addStrategy",
    reads: "database",
    access: "trade",
    command: "strategy.add",
  },
  {
    method: "DELETE",
    path: "/api/strategies/{id}",
    handler: "removeStrategy",
    reads: "database",
    access: "trade",
    command: "strategy.remove",
  },
  {
    method: "PATCH",
    path: "/api/strategies/{id}",
    handler: "changeStrategy",
    reads: "database",
    access: "trade",
    command: "strategy.params",
  },
  {
    method: "POST",
    path: "/api/strategies/{id}/pause",
    handler: "pauseStrategy",
    reads: "database",
    access: "trade",
    command: "strategy.pause",
  },
  {
    method: "POST",
    path: "/api/strategies/{id}/resume",
    handler: "resumeStrategy",
    reads: "database",
    access: "trade",
    command: "strategy.resume",
  },
  {
    method: "POST",
    path: "/api/strategies/{id}/reset",
    handler: "resetStrategy",
    reads: "database",
    access: "trade",
    command: "risk.reset",
  },
  {
    method: "POST",
    path: "/api/strategies/{id}/flatten",
    handler: "flattenStrategy",
    reads: "database",
    access: "trade",
    command: "strategy.flatten",
  },
  {
    method: "POST",
    path: "/api/orders",
    handler: "submitOrder",
    reads: "database",
    access: "trade",
    command: "order.submit",
  },
  {
    method: "DELETE",
    path: "/api/orders/{id}",
    handler: "cancelOrder",
    reads: "database",
    access: "trade",
    command: "order.cancel",
  },
  {
    method: "PATCH",
    path: "/api/orders/{id}",
    handler: "replaceOrder",
    reads: "database",
    access: "trade",
    command: "order.replace",
  },
  // Local adapter only: on AWS, Cognito issues the tokens (the stacks deploy no Lambda for it).
  { method: "POST", path: "/api/auth/token", handler: "token", reads: "none", access: "open", localOnly: true },
] as const;

export type Route = (typeof ROUTES)[number];

/**
 * Who may call a route. `open`: anyone. `read`: anyone locally unless AUTH_READS=token; on AWS
 * (Cognito configured) a valid token. `trade`: a valid token with the trader role, everywhere.
 */
export type Access = Route["access"];

/** The routes that publish commands: on AWS only their Lambdas may write strategy.commands.v1. */
export const COMMAND_ROUTES = ROUTES.filter((r): r is Extract<Route, { command: string }> => "command" in r);
export const COMMAND_HANDLERS: readonly HandlerName[] = COMMAND_ROUTES.map((r) => r.handler);

/** The routes the stacks deploy (every route but the local adapter's own). */
export const DEPLOYED_ROUTES = ROUTES.filter((r) => !("localOnly" in r));

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
  allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: ["accept", "authorization", "content-type", "idempotency-key"],
  /** A CSV page's next page is in Link, a command's status in Location: a dashboard on another origin must be allowed to read them. */
  exposeHeaders: ["link", "location"],
  maxAgeSeconds: 86_400,
} as const;

/** The route table as a router: the local adapter and the `$default` route resolve requests with it. */
export const ROUTER = new Router(ROUTES);
