import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { encodeEvent } from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, MSKEvent } from "aws-lambda";
import { pino } from "pino";
import { gatewayConfig } from "../../src/config";
import { lambdaContext } from "../../src/local/events";
import type { CommandSink } from "../../src/commands";
import { createGatewayDeps, type GatewayDeps } from "../../src/http/deps";
import { DEFAULT_ROUTE_KEY, ROUTES, type HandlerName } from "../../src/http/routes";

const fixtures = resolve(import.meta.dirname, "../fixtures");

/** A fixture as AWS sends it (see test/fixtures), parsed fresh for each use. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(resolve(fixtures, name), "utf8")) as T;
}

export const httpFixture = (name: string) => fixture<APIGatewayProxyEventV2>(name);
export const mskFixture = () => fixture<MSKEvent>("msk-risk-and-orders.json");

/**
 * The recorded payload-2.0 GET event (test/fixtures/http-api-quotes.json) retargeted at a route:
 * routeKey, rawPath, http.path, pathParameters and queryStringParameters as API Gateway fills
 * them (both left out when empty; repeated query keys joined with commas).
 */
export function httpEvent(
  handler: HandlerName,
  params: {
    path?: Record<string, string>;
    query?: string;
    origin?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): APIGatewayProxyEventV2 {
  const route = ROUTES.find((r) => r.handler === handler)!;
  const event = httpFixture("http-api-quotes.json");
  const rawPath = route.path.replace(/\{(\w+)\}/g, (_, name: string) => params.path?.[name] ?? "");
  const search = new URLSearchParams(params.query ?? "");
  const query: Record<string, string> = {};
  for (const [k, v] of search) query[k] = k in query ? `${query[k]},${v}` : v;
  const routeKey = `${route.method} ${route.path}`;
  const { queryStringParameters: _q, pathParameters: _p, ...rest } = event;
  return {
    ...rest,
    routeKey,
    rawPath,
    rawQueryString: params.query ?? "",
    headers: {
      ...event.headers,
      ...(params.origin !== undefined ? { origin: params.origin } : {}),
      ...params.headers,
    },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(params.path ? { pathParameters: params.path } : {}),
    ...(params.body !== undefined ? { body: params.body } : {}),
    requestContext: {
      ...event.requestContext,
      routeKey,
      http: { ...event.requestContext.http, method: route.method, path: rawPath },
    },
  };
}

/** The recorded event as API Gateway sends it to the `$default` route: a request no route matches. */
export function defaultRouteEvent(
  method: string,
  rawPath: string,
  params: { origin?: string } = {},
): APIGatewayProxyEventV2 {
  const event = httpFixture("http-api-quotes.json");
  const { queryStringParameters: _q, pathParameters: _p, ...rest } = event;
  return {
    ...rest,
    routeKey: DEFAULT_ROUTE_KEY,
    rawPath,
    rawQueryString: "",
    headers: { ...event.headers, ...(params.origin !== undefined ? { origin: params.origin } : {}) },
    requestContext: {
      ...event.requestContext,
      routeKey: DEFAULT_ROUTE_KEY,
      http: { ...event.requestContext.http, method, path: rawPath },
    },
  };
}

export const context = (): Context => lambdaContext("tickflow-gateway-test", 30_000);

export interface TestDeps extends GatewayDeps {
  metrics: PrometheusMetrics;
}

/** Handler dependencies pointing at the given upstreams, with a Prometheus registry to read metrics from. */
export function testDeps(env: Record<string, string>, commands: CommandSink | null = null): TestDeps {
  const metrics = new PrometheusMetrics({ service: "gateway" });
  return {
    ...createGatewayDeps({ config: gatewayConfig(env), metrics, logger: pino({ level: "silent" }), commands }),
    metrics,
  };
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

/** A handler result with its body parsed. */
export function parse<T = unknown>(result: APIGatewayProxyStructuredResultV2): JsonResponse<T> {
  return {
    status: result.statusCode ?? 0,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: JSON.parse(result.body ?? "null") as T,
  };
}

/** One sample of a Prometheus exposition, or undefined. */
export async function sample(
  metrics: PrometheusMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const text = (await metrics.exposition()).body;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const [series, value] = [line.slice(0, line.lastIndexOf(" ")), line.slice(line.lastIndexOf(" ") + 1)];
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) return Number(value);
  }
  return undefined;
}

/** An encoded `risk.halted` of `strategyId` at `tsEvent`: a 1.2 % drawdown past a 1 % limit. */
export function haltRecord(strategyId: string, tsEvent: number): Buffer {
  return encodeEvent(
    {
      type: "risk.halted",
      id: `${strategyId}:risk:${tsEvent}`,
      ts: tsEvent,
      data: {
        strategyId,
        reason: "max-drawdown",
        drawdown: 0.012,
        limit: 0.01,
        equity: 98_800,
        peakEquity: 100_000,
        tsEvent,
        tsInit: tsEvent,
      },
    },
    "test",
  );
}
