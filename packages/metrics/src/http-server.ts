import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Metrics } from "./sink";

export interface HttpRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  contentType?: string;
}

export interface HttpRoute {
  method: "GET" | "POST";
  /** Express-like pattern: `/quotes/:symbol`. */
  path: string;
  handle(request: HttpRequest): Promise<HttpResponse> | HttpResponse;
}

/** A request the route cannot serve: answered as problem+json with a stable code. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface CompiledRoute extends HttpRoute {
  pattern: RegExp;
  keys: string[];
}

function compile(route: HttpRoute): CompiledRoute {
  const keys: string[] = [];
  const source = route.path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { ...route, pattern: new RegExp(`^${source}$`), keys };
}

export interface ServiceHttpOptions {
  port: number;
  host?: string;
  routes: HttpRoute[];
  metrics: Metrics;
  /** Answers /health: 200 when ok, 503 otherwise. */
  health(): Promise<{ ok: boolean; [key: string]: unknown }>;
  onError?(error: unknown, request: HttpRequest): void;
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(text);
}

/**
 * A worker's HTTP face: /health, /metrics and its JSON read routes, every request counted and
 * timed under its route pattern (never the raw path, which would explode label cardinality).
 */
export async function startServiceHttp(options: ServiceHttpOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const builtin: HttpRoute[] = [
    { method: "GET", path: "/health", handle: async () => {
      const report = await options.health();
      return { status: report.ok ? 200 : 503, body: report };
    } },
    { method: "GET", path: "/metrics", handle: async () => {
      const { contentType, body } = await options.metrics.exposition();
      return { status: 200, body, contentType };
    } },
  ];
  const routes = [...builtin, ...options.routes].map(compile);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    let routeLabel = "unmatched";
    const request: HttpRequest = { method, path: url.pathname, params: {}, query: url.searchParams };
    const finish = (status: number) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      options.metrics.inc("tickflow_http_requests_total", { route: routeLabel, method, status: String(status) });
      options.metrics.observe("tickflow_http_request_duration_seconds", { route: routeLabel, method }, seconds);
    };
    void (async () => {
      const candidates = routes.filter((r) => r.pattern.test(url.pathname));
      const route = candidates.find((r) => r.method === method);
      if (!route) {
        const status = candidates.length > 0 ? 405 : 404;
        send(res, status, { type: "about:blank", title: status === 405 ? "Method not allowed" : "Not found", status, code: status === 405 ? "method-not-allowed" : "route-not-found", detail: `${method} ${url.pathname}` }, "application/problem+json");
        return finish(status);
      }
      routeLabel = route.path;
      const match = route.pattern.exec(url.pathname)!;
      try {
        route.keys.forEach((key, i) => {
          try {
            request.params[key] = decodeURIComponent(match[i + 1]!);
          } catch {
            throw new HttpProblem(400, "invalid-path", `${key} is not valid percent-encoding`);
          }
        });
        const response = await route.handle(request);
        send(res, response.status, response.body, response.contentType);
        finish(response.status);
      } catch (error) {
        const problem = error instanceof HttpProblem ? error : new HttpProblem(500, "internal-error", "unexpected error; see the service log");
        if (!(error instanceof HttpProblem)) options.onError?.(error, request);
        send(res, problem.status, { type: "about:blank", title: problem.message, status: problem.status, code: problem.code, detail: problem.message }, "application/problem+json");
        finish(problem.status);
      }
    })();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `limit` from a query: absent gives `fallback`; anything but a positive integer is a 400; more than `max` gets what is kept. */
export function queryLimit(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get("limit");
  if (raw === null) return Math.min(fallback, max);
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < 1) throw new HttpProblem(400, "invalid-limit", "limit must be a positive integer");
  return Math.min(n, max);
}
