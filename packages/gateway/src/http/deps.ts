import type { Metrics } from "@tickflow/metrics";
import type { Logger } from "@tickflow/runtime";
import { RiskHistoryAlertSource, type AlertSource } from "../alerts";
import type { GatewayConfig } from "../config";
import { runtimeFromEnv } from "../runtime";
import type { ConsumerHealth } from "../schemas";
import { Upstream } from "../upstream";

/** A consumer the process runs, as /api/health reports it. */
export interface ConsumerHealthSource {
  health(): ConsumerHealth;
}

/** What the HTTP handlers need: built once per process (local) or per Lambda container. */
export interface GatewayDeps {
  config: GatewayConfig;
  metrics: Metrics;
  logger: Logger;
  marketData: Upstream;
  strategy: Upstream;
  alerts: AlertSource;
  /** The consumers this process runs (the local gateway's risk/alerts consumer); none in a Lambda. */
  consumers: readonly ConsumerHealthSource[];
}

/**
 * Wires the upstream clients; `alerts` defaults to the strategy worker's risk history (what a
 * Lambda can read). `consumers` may be filled after this returns (they start after the handlers).
 */
export function createGatewayDeps(options: {
  config: GatewayConfig;
  metrics: Metrics;
  logger: Logger;
  alerts?: AlertSource;
  consumers?: readonly ConsumerHealthSource[];
}): GatewayDeps {
  const { config, metrics, logger } = options;
  const marketData = new Upstream("market-data", config.MARKET_DATA_URL, config.UPSTREAM_TIMEOUT_MS, metrics);
  const strategy = new Upstream("strategy", config.STRATEGY_URL, config.UPSTREAM_TIMEOUT_MS, metrics);
  return {
    config,
    metrics,
    logger,
    marketData,
    strategy,
    alerts: options.alerts ?? new RiskHistoryAlertSource(strategy),
    consumers: options.consumers ?? [],
  };
}

let lambdaGateway: GatewayDeps | undefined;

/** The HTTP handlers' dependencies in a Lambda container. */
export function gatewayDepsFromEnv(): GatewayDeps {
  lambdaGateway ??= createGatewayDeps(runtimeFromEnv());
  return lambdaGateway;
}
