import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import { parseDecimalInteger } from "@tickflow/core";
import type { Metrics } from "@tickflow/metrics";
import {
  API_SECURITY_HEADERS,
  createGuardedServer,
  listen,
  queryParameterProblem,
  requestTarget,
  type HttpLimits,
} from "./guard";
import { HttpProblem, sendProblem } from "./problem";
import { recordRequest, UNMATCHED_ROUTE } from "./request-metrics";
import { Router } from "./router";

export interface HttpRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Lower-case names, as Node parsed them. */
  headers: IncomingHttpHeaders;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  contentType?: string;
}

export interface HttpRoute {
  method: "GET" | "POST";
  /** `/quotes/{symbol}`: parameters arrive percent-decoded in `params`. */
  path: string;
  /**
   * The query parameters the route takes: any other is answered 400 naming it. Without the list
   * any name is let through. Either way a parameter given twice is a 400.
   */
  query?: readonly string[];
  handle(request: HttpRequest): Promise<HttpResponse> | HttpResponse;
}

export interface ServiceHttpOptions {
  port: number;
  host?: string;
  routes: HttpRoute[];
  metrics: Metrics;
  /** Answers /health: 200 when ok, 503 otherwise. */
  health(): Promise<{ ok: boolean; [key: string]: unknown }>;
  /** A request that failed with an unexpected error (answered 500), or an error no request path handled. */
  onError?(error: unknown, request: HttpRequest): void;
  /** Request time and size bounds (tests shorten them). */
  limits?: Partial<HttpLimits>;
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(text);
}

/**
 * A worker's HTTP face: /health, /metrics and its JSON read routes, every request counted and
 * timed under its route pattern (never the raw path, which would explode label cardinality).
 * Every answer carries API_SECURITY_HEADERS; a request that is no valid URL, that repeats a query
 * parameter or names one its route does not take is a 400, and no request can end the process
 * (createGuardedServer).
 */
export async function startServiceHttp(
  options: ServiceHttpOptions,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const builtin: HttpRoute[] = [
    {
      method: "GET",
      path: "/health",
      query: [],
      handle: async () => {
        const report = await options.health();
        return { status: report.ok ? 200 : 503, body: report };
      },
    },
    {
      method: "GET",
      path: "/metrics",
      query: [],
      handle: async () => {
        const { contentType, body } = await options.metrics.exposition();
        return { status: 200, body, contentType };
      },
    },
  ];
  const router = new Router([...builtin, ...options.routes]);

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? "GET";
    let routeLabel = UNMATCHED_ROUTE;
    const finish = (status: number) => recordRequest(options.metrics, { route: routeLabel, method, status, started });
    const refuse = (problem: HttpProblem) => {
      sendProblem(res, problem.document(), problem.headers);
      finish(problem.status);
    };
    const url = requestTarget(req.url);
    if (!url) return refuse(new HttpProblem(400, "invalid-request", "the request target is not a valid URL"));
    const request: HttpRequest = {
      method,
      path: url.pathname,
      params: {},
      query: url.searchParams,
      headers: req.headers,
    };
    const resolved = router.resolve(method, url.pathname);
    if (resolved.kind === "method-not-allowed")
      return refuse(
        new HttpProblem(
          405,
          "method-not-allowed",
          `${method} ${url.pathname}`,
          {},
          { headers: { allow: resolved.allow.join(", ") } },
        ),
      );
    if (resolved.kind === "not-found")
      return refuse(new HttpProblem(404, "route-not-found", `${method} ${url.pathname}`));
    const { route } = resolved;
    routeLabel = route.path;
    try {
      const refused = queryParameterProblem(url.searchParams, route.query);
      if (refused) throw new HttpProblem(400, "invalid-parameter", refused.message, { parameter: refused.parameter });
      for (const [key, raw] of Object.entries(resolved.params)) {
        try {
          request.params[key] = decodeURIComponent(raw);
        } catch {
          throw new HttpProblem(400, "invalid-path", `${key} is not valid percent-encoding`);
        }
      }
      const response = await route.handle(request);
      send(res, response.status, response.body, response.contentType);
      finish(response.status);
    } catch (error) {
      if (!(error instanceof HttpProblem)) options.onError?.(error, request);
      refuse(
        error instanceof HttpProblem
          ? error
          : new HttpProblem(500, "internal-error", "unexpected error; see the service log"),
      );
    }
  };

  const server = createGuardedServer(serve, {
    headers: API_SECURITY_HEADERS,
    limits: options.limits,
    onError: (error, req) =>
      options.onError?.(error, {
        method: req?.method ?? "",
        path: req?.url ?? "",
        params: {},
        query: new URLSearchParams(),
        headers: req?.headers ?? {},
      }),
  });
  const { port, close } = await listen(server, options.port, options.host ?? "127.0.0.1");
  return { server, port, close };
}

/**
 * `limit` from a query: absent gives `fallback`; anything but a positive integer under the one
 * rule of integer parameters (parseDecimalInteger, the gateway's too) is a 400; more than `max`
 * gets what is kept.
 */
export function queryLimit(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get("limit");
  if (raw === null) return Math.min(fallback, max);
  const n = parseDecimalInteger(raw);
  if (n === undefined || n < 1)
    throw new HttpProblem(400, "invalid-limit", "limit must be a positive integer", { parameter: "limit" });
  return Math.min(n, max);
}
