export { ROUTES, handlerPath, RISK_CONSUMER_HANDLER, type Route, type HandlerName } from "./routes";
