export * from "./catalog";
export type { Metrics } from "./sink";
export { PrometheusMetrics } from "./prometheus-sink";
export { EmfMetrics } from "./emf-sink";
export { createMetrics, METRICS_NAMESPACE } from "./create-metrics";
export { startServiceHttp, HttpProblem, queryLimit, type HttpRoute, type HttpRequest, type HttpResponse, type ServiceHttpOptions } from "./http-server";
export {
  API_SECURITY_HEADERS,
  CHART_ATTRIBUTION_STYLE_HASH,
  dashboardSecurityHeaders,
  createGuardedServer,
  DEFAULT_HTTP_LIMITS,
  listen,
  problemDocument,
  queryParameterProblem,
  requestTarget,
  sendProblem,
  type GuardedServerOptions,
  type HttpLimits,
  type ProblemDocument,
  type QueryParameterProblem,
} from "./http-guard";
export { hostileRequests, parseAnswers, pipelinedThenGarbage, rawExchange, type HostileRequest, type RawAnswer, type RawExchange, type RawExchangeOptions } from "./http-probe";
export { runServiceMain, type RunningService } from "./service-main";
