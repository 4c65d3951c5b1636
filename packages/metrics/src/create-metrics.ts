import { ConfigError } from "@tickflow/core";
import { EmfMetrics } from "./emf-sink";
import { PrometheusMetrics } from "./prometheus-sink";
import type { Metrics } from "./sink";

export const METRICS_NAMESPACE = "Tickflow";

/** How often a long-running task (Fargate) writes its EMF documents. */
export const EMF_FLUSH_INTERVAL_MS = 10_000;

/**
 * The sink for this environment: METRICS_SINK=emf|prometheus when set; otherwise EMF inside
 * Lambda (AWS_LAMBDA_FUNCTION_NAME) and Prometheus everywhere else. Lambda flushes at the end
 * of each invocation; anything else on EMF flushes on a timer.
 */
export function createMetrics(env: Record<string, string | undefined>, service: string): Metrics {
  const lambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  const sink = env.METRICS_SINK ?? (lambda ? "emf" : "prometheus");
  if (sink === "emf") return new EmfMetrics(METRICS_NAMESPACE, service, lambda ? {} : { flushIntervalMs: EMF_FLUSH_INTERVAL_MS });
  if (sink === "prometheus") return new PrometheusMetrics({ service });
  throw new ConfigError(`METRICS_SINK must be emf or prometheus, got "${sink}"`);
}
