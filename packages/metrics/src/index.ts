export * from "./catalog";
export type { Metrics } from "./sink";
export { PrometheusMetrics } from "./prometheus-sink";
export { EmfMetrics } from "./emf-sink";
export { createMetrics, METRICS_NAMESPACE } from "./create-metrics";
export { startServiceHttp, HttpProblem, queryLimit, type HttpRoute, type HttpRequest, type HttpResponse, type ServiceHttpOptions } from "./http-server";
export { runServiceMain, type RunningService } from "./service-main";
