import { z } from "zod";
import { EmfMetrics } from "./emf-sink";
import { PrometheusMetrics } from "./prometheus-sink";
import type { Metrics } from "./sink";

export const METRICS_NAMESPACE = "Tickflow";

/** How often a long-running task (Fargate) writes its EMF documents. */
const EMF_FLUSH_INTERVAL_MS = 10_000;

/** The metrics' part of a process's configuration (read with @tickflow/runtime's readEnv). */
export const MetricsEnvSchema = z.object({
  METRICS_SINK: z.enum(["emf", "prometheus"], { error: "must be emf or prometheus" }).optional(),
  /** Set by Lambda: the sink defaults to EMF there. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});
export type MetricsEnv = z.output<typeof MetricsEnvSchema>;

/**
 * The sink for this environment: METRICS_SINK when set; otherwise EMF inside Lambda and
 * Prometheus everywhere else. Lambda flushes at the end of each invocation; anything else on EMF
 * flushes on a timer.
 */
export function createMetrics(env: MetricsEnv, service: string): Metrics {
  const lambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  const sink = env.METRICS_SINK ?? (lambda ? "emf" : "prometheus");
  if (sink === "emf")
    return new EmfMetrics(METRICS_NAMESPACE, service, lambda ? {} : { flushIntervalMs: EMF_FLUSH_INTERVAL_MS });
  return new PrometheusMetrics({ service });
}
