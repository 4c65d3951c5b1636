export {
  ROUTES,
  DEPLOYED_ROUTES,
  COMMAND_HANDLERS,
  DATABASE_HANDLERS,
  handlerPath,
  DEFAULT_ROUTE_KEY,
  DEFAULT_ROUTE_HANDLER,
  CORS_PREFLIGHT,
  type Route,
  type HandlerName,
} from "./http/routes";
export { gatewayConfig, DEFAULT_UPSTREAM_TIMEOUT_MS, type GatewayConfig } from "./config";
export { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from "./local/adapter";
export { openApiDocument, API_VERSION } from "./http/openapi";
export {
  RISK_CONSUMER_HANDLER,
  RISK_CONSUMER_TOPICS,
  CONSUMED_EVENTS,
  type KafkaBatchResponse,
} from "./risk-consumer/handler";
export { STREAM_FANOUT_HANDLER } from "./stream/aws-fanout";
export { STREAM_CHANNELS } from "./stream-schema";
export { SERVICE } from "./runtime";
export { TRADER_GROUP } from "./auth";
