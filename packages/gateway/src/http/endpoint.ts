import middy, { type MiddyfiedHandler } from "@middy/core";
import httpCors from "@middy/http-cors";
import { HttpProblem, queryParameterProblem } from "@tickflow/runtime";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type { z } from "zod";
import { authorize, type Principal } from "../auth";
import { flushMetrics } from "../runtime";
import { CONTRACTS, type Contract } from "../schemas";
import { gatewayDepsFromEnv, type GatewayDeps } from "./deps";
import { httpMetrics, problemResponses, securityHeaders } from "./middleware";
import type { ParameterError } from "./problem";
import { CORS_PREFLIGHT, ROUTES, type HandlerName } from "./routes";

type ContractOf<N extends HandlerName> = (typeof CONTRACTS)[N];
type Parsed<C, K extends "path" | "query" | "body"> = C extends { [P in K]: infer S extends z.ZodType }
  ? z.output<S>
  : Record<string, never>;
export type ResponseOf<N extends HandlerName> = z.output<ContractOf<N>["response"]>;

/** What an endpoint gets: its parsed parameters and body, who is calling, and the dependencies. */
export interface EndpointInput<N extends HandlerName> {
  path: Parsed<ContractOf<N>, "path">;
  query: Parsed<ContractOf<N>, "query">;
  body: Parsed<ContractOf<N>, "body">;
  /** The caller, when the route needs (or was given) a token; null on an open read without one. */
  principal: Principal | null;
  event: APIGatewayProxyEventV2;
  deps: GatewayDeps;
}

/** Largest request body a route reads: a command is a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * The route's JSON body, parsed with its schema: 415 unless it is sent as application/json, 413
 * past MAX_BODY_BYTES, 400 invalid-body (naming each field) when it is not JSON or not the schema's.
 * A route without a body schema does not read the body.
 */
function parseBody(contract: Contract, event: APIGatewayProxyEventV2): unknown {
  if (!contract.body) return {};
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, "base64").toString("utf8")
      : event.body
    : "";
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
    throw new HttpProblem(413, "body-too-large", `the body is larger than ${MAX_BODY_BYTES} bytes`);
  let value: unknown = {};
  if (raw.trim() !== "" || !contract.bodyOptional) {
    const type = event.headers?.["content-type"] ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type))
      throw new HttpProblem(415, "unsupported-media-type", "send the body as JSON with Content-Type: application/json");
    try {
      value = JSON.parse(raw);
    } catch {
      throw new HttpProblem(400, "invalid-body", "the body is not JSON", {
        errors: [{ parameter: "(body)", in: "body", message: "not JSON" }],
      });
    }
  }
  const result = contract.body.safeParse(value);
  if (result.success) return result.data;
  const errors: ParameterError[] = result.error.issues.map((i) => ({
    parameter: i.path.join(".") || "(body)",
    in: "body",
    message: i.message,
  }));
  throw new HttpProblem(400, "invalid-body", errors.map((e) => `${e.parameter}: ${e.message}`).join("; "), { errors });
}

export type HttpHandler = MiddyfiedHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

export interface Endpoint<N extends HandlerName = HandlerName> {
  readonly name: N;
  /** The middy-wrapped payload-2.0 handler with these dependencies (the local adapter's and the tests' entry). */
  create(deps: GatewayDeps): HttpHandler;
  /** The Lambda entry: dependencies from the environment, built on the first invocation. */
  lambda(): (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
}

/** The 404 code of a path parameter, or a filter, that names nothing. */
const NOT_FOUND_CODES: Record<string, string> = {
  symbol: "unknown-symbol",
  id: "unknown-strategy",
  strategy: "unknown-strategy",
};

/**
 * Parses path and query parameters with the route's schemas. A bad query value is bad input
 * (400); a path value that fails its schema names a resource that cannot exist (404). Either way
 * the problem names the parameter. A route that takes query parameters also refuses one it does
 * not take and one given more than once (400 naming it), read from the raw query string: payload
 * 2.0 joins a repeated parameter's values with commas, where "a,b" could pass for one value. A
 * route that takes none does not read the query string.
 */
function parseInput(contract: Contract, event: APIGatewayProxyEventV2) {
  const parse = (
    where: "path" | "query",
    schema: z.ZodObject | undefined,
    raw: Record<string, string | undefined> | undefined,
  ) => {
    if (!schema) return {};
    const result = schema.safeParse(raw ?? {});
    if (result.success) return result.data;
    const errors: ParameterError[] = result.error.issues.map((i) => ({
      parameter: String(i.path[0] ?? where),
      in: where,
      message: i.message,
    }));
    const first = errors[0]!;
    // a symbol or strategy filter that names nothing is as unknown as one in the path
    if (where === "path" || (first.parameter in NOT_FOUND_CODES && first.parameter !== "id")) {
      const value = raw?.[first.parameter];
      throw new HttpProblem(
        404,
        NOT_FOUND_CODES[first.parameter] ?? "not-found",
        `no ${first.parameter} "${value}": ${first.message}`,
        { parameter: first.parameter, errors },
      );
    }
    throw new HttpProblem(400, "invalid-parameter", errors.map((e) => e.message).join("; "), {
      parameter: first.parameter,
      errors,
    });
  };
  const path = parse("path", contract.path, event.pathParameters);
  if (contract.query) {
    const refused = queryParameterProblem(
      new URLSearchParams(event.rawQueryString ?? ""),
      Object.keys(contract.query.shape),
    );
    if (refused)
      throw new HttpProblem(400, "invalid-parameter", refused.message, {
        parameter: refused.parameter,
        errors: [{ parameter: refused.parameter, in: "query", message: refused.message }],
      });
  }
  return { path, query: parse("query", contract.query, event.queryStringParameters) };
}

function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}

/** Whether the client asks for CSV: `text/csv` in Accept, ahead of (or without) JSON. */
function wantsCsv(event: APIGatewayProxyEventV2): boolean {
  const accept = (event.headers?.accept ?? event.headers?.Accept ?? "").toLowerCase();
  const csv = accept.indexOf("text/csv");
  if (csv < 0) return false;
  const jsonAt = accept.indexOf("application/json");
  return jsonAt < 0 || csv < jsonAt;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; nested values as JSON. */
function csvField(value: unknown): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A page as CSV: a header row of the first item's keys (every item of a page has the same), one row per item. */
function pageCsv(items: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const keys = columns ?? Object.keys(items[0] ?? {});
  const rows = items.map((item) => keys.map((k) => csvField(item[k])).join(","));
  return [keys.join(","), ...rows].join("\r\n") + "\r\n";
}

/** A list route's page as CSV, the next page's URL (same path and filters, the new cursor) in Link. */
function csv(
  event: APIGatewayProxyEventV2,
  page: { items: Record<string, unknown>[]; next: string | null },
  columns: readonly string[],
) {
  const headers: Record<string, string> = { "content-type": "text/csv; charset=utf-8", "cache-control": "no-store" };
  if (page.next) {
    const query = new URLSearchParams(event.rawQueryString ?? "");
    query.set("cursor", page.next);
    headers.link = `<${event.rawPath}?${query.toString()}>; rel="next"`;
  }
  return { statusCode: 200, headers, body: pageCsv(page.items, columns) };
}

/**
 * The middleware every HTTP handler shares around `handle` — problem+json errors, CORS for the
 * dashboard's origins, the security headers, request metrics by route pattern and status, and a
 * metrics flush at the end of the invocation — as the middy-wrapped payload-2.0 handler.
 */
export function httpHandler(
  deps: GatewayDeps,
  route: string | ((event: APIGatewayProxyEventV2) => string),
  handle: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
): HttpHandler {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(flushMetrics(deps.metrics, deps.logger))
    .use(httpMetrics(deps.metrics, route))
    .use(securityHeaders())
    .use(
      httpCors({
        origins: deps.config.CORS_ORIGINS,
        methods: CORS_PREFLIGHT.allowMethods.join(","),
        exposeHeaders: CORS_PREFLIGHT.exposeHeaders.join(","),
      }),
    )
    .use(problemResponses(deps.logger))
    .handler(handle);
}

/** A Lambda entry for a handler factory: dependencies from the environment, built on the first invocation. */
export function lambdaEntry(
  create: (deps: GatewayDeps) => HttpHandler,
): (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2> {
  let handler: HttpHandler | undefined;
  return (event, context) => {
    handler ??= create(gatewayDepsFromEnv());
    return handler(event, context);
  };
}

/** A list route's CSV columns: the keys of its item schema, so an empty page still has its header row. */
function csvColumns(contract: Contract): string[] {
  const items = (contract.response as z.ZodObject).shape.items as z.ZodArray<z.ZodObject>;
  return Object.keys(items.element.shape);
}

/**
 * Defines one route's handler: input parsing from the route's contract, the implementation, and
 * the middleware every route shares (httpHandler). `status` picks the HTTP status of a
 * successful body (200 unless given).
 */
export function defineEndpoint<N extends HandlerName>(
  name: N,
  handle: (input: EndpointInput<N>) => Promise<ResponseOf<N>>,
  options: {
    status?: (body: ResponseOf<N>) => number;
    headers?: (body: ResponseOf<N>) => Record<string, string>;
  } = {},
): Endpoint<N> {
  const contract: Contract = CONTRACTS[name];
  const route = ROUTES.find((r) => r.handler === name)!;
  const create = (deps: GatewayDeps): HttpHandler =>
    httpHandler(deps, route.path, async (event) => {
      // who may call it comes first: a refused caller learns nothing of the route's input rules
      const principal = await authorize(deps.auth, route.access, event.headers?.authorization);
      const { path, query } = parseInput(contract, event);
      const body = parseBody(contract, event);
      const answer = await handle({ path, query, body, principal, event, deps } as EndpointInput<N>);
      if (contract.csv && wantsCsv(event))
        return csv(event, answer as { items: Record<string, unknown>[]; next: string | null }, csvColumns(contract));
      return json(options.status?.(answer) ?? contract.success ?? 200, answer, options.headers?.(answer));
    });
  return { name, create, lambda: () => lambdaEntry(create) };
}
