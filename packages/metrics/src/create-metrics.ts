import { ConfigError } from "@tickflow/core";
import { EmfMetrics } from "./emf-sink";
import { PrometheusMetrics } from "./prometheus-sink";
import type { Metrics } from "./sink";

export const METRICS_NAMESPACE = "Tickflow";

/**
 * The sink for this environment: METRICS_SINK=emf|prometheus when set; otherwise EMF inside
 * Lambda (AWS_LAMBDA_FUNCTION_NAME) and Prometheus everywhere else.
 */
export function createMetrics(env: Record<string, string | undefined>, service: string): Metrics {
  const sink = env.METRICS_SINK ?? (env.AWS_LAMBDA_FUNCTION_NAME ? "emf" : "prometheus");
  if (sink === "emf") return new EmfMetrics(METRICS_NAMESPACE, service);
  if (sink === "prometheus") return new PrometheusMetrics({ service });
  throw new ConfigError(`METRICS_SINK must be emf or prometheus, got "${sink}"`);
}
