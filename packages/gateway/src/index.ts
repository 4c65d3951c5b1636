export { ROUTES, handlerPath, RISK_CONSUMER_HANDLER, type Route, type HandlerName } from "./routes";
export { gatewayConfig, type GatewayConfig } from "./config";
export { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from "./local-adapter";
export { openApiDocument, API_VERSION } from "./openapi";
export { RISK_CONSUMER_TOPICS } from "./local-risk-consumer";
export { CONSUMED_EVENTS, type KafkaBatchResponse } from "./risk-consumer";
export { SERVICE } from "./runtime";
