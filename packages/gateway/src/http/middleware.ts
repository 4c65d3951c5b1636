import type { MiddlewareObj, Request } from "@middy/core";
import { type Metrics } from "@tickflow/metrics";
import { API_SECURITY_HEADERS, recordRequest } from "@tickflow/runtime";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Logger } from "pino";
import { problemResponse, toProblem } from "./problem";

type HttpRequest = Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/**
 * Turns any error into an application/problem+json response, so a client always gets a status
 * and a stable code and never a Lambda error page. A 500 means a bug and is logged with the cause;
 * 5xx caused by upstreams are logged as warnings (the worker's own log says why).
 */
export function problemResponses(logger: Logger): HttpMiddleware {
  return {
    onError: async (request: HttpRequest) => {
      const problem = toProblem(request.error);
      const context = {
        requestId: request.event.requestContext?.requestId,
        path: request.event.rawPath,
        code: problem.code,
      };
      if (problem.status === 500) logger.error({ ...context, err: request.error }, "request failed");
      else if (problem.status >= 500) logger.warn({ ...context, detail: problem.detail }, "upstream failure");
      request.response = problemResponse(problem, request.event.rawPath);
      // returning nothing lets the later onError middlewares (CORS headers, metrics) see this response
    },
  };
}

/**
 * Adds API_SECURITY_HEADERS (nosniff; a CSP under which nothing loads, runs or frames) to every
 * answer: a route's, a problem (placed before problemResponses, so its onError runs after the
 * problem is set) and the `$default` route's, in Lambda as in the local adapter. A header the
 * handler set itself is kept.
 */
export function securityHeaders(): HttpMiddleware {
  const apply = async (request: HttpRequest) => {
    if (request.response) request.response.headers = { ...API_SECURITY_HEADERS, ...request.response.headers };
  };
  return { after: apply, onError: apply };
}

/**
 * Counts and times each request under its route pattern (never the raw path, which would
 * explode label cardinality; `route` may pick it from the event) and final status. The start time is per invocation, keyed by the
 * request so concurrent invocations (the local adapter) do not share it, and it is removed in
 * both `after` and `onError` so each request is recorded exactly once.
 */
export function httpMetrics(
  metrics: Metrics,
  route: string | ((event: APIGatewayProxyEventV2) => string),
): HttpMiddleware {
  const started = new Map<HttpRequest, bigint>();
  const record = async (request: HttpRequest) => {
    const t0 = started.get(request);
    if (t0 === undefined) return;
    started.delete(request);
    const label = typeof route === "string" ? route : route(request.event);
    recordRequest(metrics, {
      route: label,
      method: request.event.requestContext?.http?.method ?? "GET",
      status: request.response?.statusCode ?? 500,
      started: t0,
    });
  };
  return {
    before: async (request: HttpRequest) => {
      started.set(request, process.hrtime.bigint());
    },
    after: record,
    onError: record,
  };
}
