export { startMarketData, SERVICE, type MarketDataService, type MarketDataDeps } from "./service";
export { marketDataConfig, type MarketDataConfig } from "./config";
