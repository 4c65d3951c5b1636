import { STATUS_CODES } from "node:http";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { GatewayError } from "./errors";
import type { Problem } from "./schemas";
import { UpstreamError, UpstreamRejection } from "./upstream";

export interface ParameterError {
  parameter: string;
  in: "path" | "query";
  message: string;
}

/** Optional members of a problem body beyond type, title, status, code and detail. */
export interface ProblemExtras {
  parameter?: string;
  upstream?: string;
  errors?: ParameterError[];
}

/**
 * A request the API answers with an error status: rendered as application/problem+json
 * (RFC 9457) with a stable `code` clients can switch on.
 */
export class ApiProblem extends GatewayError {
  /** Response headers the status calls for (Allow beside a 405). */
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(detail, { cause: options.cause });
    this.headers = options.headers ?? {};
  }
}

/**
 * The problem for any error a handler raised. Upstream failures become 503 when the worker is
 * down or slow (retrying later can help) and 502 when it answered something unusable; a worker's
 * unknown-symbol or unknown-strategy 404 is passed on. Anything else is a bug: 500, logged by the caller.
 */
export function toProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (error instanceof UpstreamRejection) {
    // the worker does not know the symbol or strategy: the client's 404. Any other refusal (a
    // missing route, a parameter it rejects) means gateway and worker disagree: the gateway's fault.
    if (error.status === 404 && (error.code === "unknown-symbol" || error.code === "unknown-strategy")) return new ApiProblem(404, error.code, error.detail, {}, { cause: error });
    return new ApiProblem(502, "upstream-rejected", `${error.upstream} refused the gateway's request (${error.status} ${error.code})`, { upstream: error.upstream }, { cause: error });
  }
  if (error instanceof UpstreamError) {
    const upstream = { upstream: error.upstream };
    switch (error.kind) {
      case "timeout":
        return new ApiProblem(503, "upstream-timeout", error.message, upstream, { cause: error });
      case "unreachable":
        return new ApiProblem(503, "upstream-unavailable", error.message, upstream, { cause: error });
      case "server-error":
        return error.status === 503
          ? new ApiProblem(503, "upstream-unavailable", error.message, upstream, { cause: error })
          : new ApiProblem(502, "upstream-error", error.message, upstream, { cause: error });
      case "invalid-response":
        return new ApiProblem(502, "upstream-invalid-response", error.message, upstream, { cause: error });
    }
  }
  // @middy/core's own timeout, just before the Lambda's: the request ran out of time
  if (error instanceof Error && error.name === "TimeoutError") return new ApiProblem(503, "timeout", "the request ran out of time", {}, { cause: error });
  return new ApiProblem(500, "internal-error", "unexpected error; see the gateway log", {}, { cause: error });
}

/** The problem as the HTTP response a payload-2.0 handler returns. */
export function problemResponse(problem: ApiProblem, instance: string | undefined): APIGatewayProxyStructuredResultV2 {
  const body: Problem = {
    type: "about:blank",
    title: STATUS_CODES[problem.status] ?? "Error",
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    ...(instance ? { instance } : {}),
    ...problem.extras,
  };
  const headers: Record<string, string> = { ...problem.headers, "content-type": "application/problem+json", "cache-control": "no-store" };
  // an upstream outage is usually a restart: tell clients when a retry is worth it
  if (problem.status === 503) headers["retry-after"] = "1";
  return { statusCode: problem.status, headers, body: JSON.stringify(body) };
}
