export * from "./catalog";
export type { Metrics } from "./sink";
export { PrometheusMetrics } from "./prometheus-sink";
export { EmfMetrics } from "./emf-sink";
export { createMetrics, METRICS_NAMESPACE, MetricsEnvSchema, type MetricsEnv } from "./create-metrics";
