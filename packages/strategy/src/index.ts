export { startStrategy, SERVICE, type StrategyService, type StrategyDeps } from "./service";
export { strategyWorkerConfig, DEFAULT_STRATEGIES, type StrategyWorkerConfig } from "./config";
