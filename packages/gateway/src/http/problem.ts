import { HttpProblem } from "@tickflow/runtime";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { UpstreamError, UpstreamRejection } from "../upstream";

export interface ParameterError {
  parameter: string;
  in: "path" | "query" | "header" | "body";
  message: string;
}

/** The members the gateway's problems carry beyond type, title, status, code and detail (ProblemSchema documents them). */
export interface ProblemExtras {
  parameter?: string;
  upstream?: string;
  errors?: ParameterError[];
}

/**
 * The problem for any error a handler raised. Upstream failures become 503 when the worker is
 * down or slow (retrying later can help) and 502 when it answered something unusable; a worker's
 * unknown-symbol or unknown-strategy 404 is passed on. Anything else is a bug: 500, logged by the caller.
 */
export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof UpstreamRejection) {
    // the worker does not know the symbol or strategy: the client's 404. Any other refusal (a
    // missing route, a parameter it rejects) means gateway and worker disagree: the gateway's fault.
    if (error.status === 404 && (error.code === "unknown-symbol" || error.code === "unknown-strategy"))
      return new HttpProblem(404, error.code, error.detail, {}, { cause: error });
    return new HttpProblem(
      502,
      "upstream-rejected",
      `${error.upstream} refused the gateway's request (${error.status} ${error.code})`,
      { upstream: error.upstream },
      { cause: error },
    );
  }
  if (error instanceof UpstreamError) {
    const upstream = { upstream: error.upstream };
    switch (error.kind) {
      case "timeout":
        return new HttpProblem(503, "upstream-timeout", error.message, upstream, { cause: error });
      case "unreachable":
        return new HttpProblem(503, "upstream-unavailable", error.message, upstream, { cause: error });
      case "server-error":
        return error.status === 503
          ? new HttpProblem(503, "upstream-unavailable", error.message, upstream, { cause: error })
          : new HttpProblem(502, "upstream-error", error.message, upstream, { cause: error });
      case "invalid-response":
        return new HttpProblem(502, "upstream-invalid-response", error.message, upstream, { cause: error });
    }
  }
  // @middy/core's own timeout, just before the Lambda's: the request ran out of time
  if (error instanceof Error && error.name === "TimeoutError")
    return new HttpProblem(503, "timeout", "the request ran out of time", {}, { cause: error });
  return new HttpProblem(500, "internal-error", "unexpected error; see the gateway log", {}, { cause: error });
}

/** The problem as the HTTP response a payload-2.0 handler returns. */
export function problemResponse(problem: HttpProblem, instance: string | undefined): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = {
    ...problem.headers,
    "content-type": "application/problem+json",
    "cache-control": "no-store",
  };
  // an upstream outage is usually a restart: tell clients when a retry is worth it
  if (problem.status === 503) headers["retry-after"] = "1";
  return { statusCode: problem.status, headers, body: JSON.stringify(problem.document(instance)) };
}
