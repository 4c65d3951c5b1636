import type { Metrics } from "@tickflow/metrics";

/** The route label of a request no route takes: never the raw path, which would explode label cardinality. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * Counts and times one answered request under its route pattern and final status: the one
 * recorder of tickflow_http_requests_total and tickflow_http_request_duration_seconds, for the
 * workers, the gateway's middleware and its local adapter. `started` is process.hrtime.bigint()
 * when the request came in.
 */
export function recordRequest(
  metrics: Metrics,
  request: { route: string; method: string; status: number; started: bigint },
): void {
  const { route, method, status, started } = request;
  metrics.inc("tickflow_http_requests_total", { route, method, status: String(status) });
  metrics.observe(
    "tickflow_http_request_duration_seconds",
    { route, method },
    Number(process.hrtime.bigint() - started) / 1e9,
  );
}
