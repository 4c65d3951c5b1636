export { jsonVariable, readEnv, ServiceEnvSchema, type Env, type ServiceEnv } from "./config";
export { createLogger, type Logger } from "./logger";
export { runService, type RunningService } from "./service";
export {
  API_SECURITY_HEADERS,
  CHART_ATTRIBUTION_STYLE_HASH,
  createGuardedServer,
  dashboardSecurityHeaders,
  listen,
  queryParameterProblem,
  requestTarget,
  type GuardedServerOptions,
  type HttpLimits,
  type QueryParameterProblem,
} from "./http/guard";
export { HttpProblem, problemDocument, sendProblem, type ProblemDocument } from "./http/problem";
export { recordRequest, UNMATCHED_ROUTE } from "./http/request-metrics";
export { Router, type Resolution, type RouteSpec } from "./http/router";
export {
  queryLimit,
  startServiceHttp,
  type HttpRequest,
  type HttpResponse,
  type HttpRoute,
  type ServiceHttpOptions,
} from "./http/service-http";
export { loadUniverse, readInstrumentsFile, readLinesSync, readReplayFile } from "./replay-file";
