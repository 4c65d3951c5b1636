import type { Metrics } from "@tickflow/metrics";
import { databaseTarget, openDatabase, ReadSide } from "@tickflow/read-side";
import type { Logger } from "@tickflow/runtime";
import { ReadSideAlertSource, type AlertSource } from "../alerts";
import { authFromConfig, type Auth } from "../auth";
import { commandSinkFromEnv, type CommandSink, type RecentCommands } from "../commands";
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
  /** The read side's queries, or null when no database is configured (the history routes answer 503 saying what to set). */
  readSide: ReadSide | null;
  alerts: AlertSource;
  /** The consumers this process runs (the local gateway's risk/alerts consumer); none in a Lambda. */
  consumers: readonly ConsumerHealthSource[];
  /** Who verifies (and locally issues) tokens, and whether reads need one. */
  auth: Auth;
  /** Where commands go (strategy.commands.v1), or null when this gateway has no producer (commands answer 503). */
  commands: CommandSink | null;
  /** The command answers this gateway gave recently, for Idempotency-Key retries. */
  recentCommands: RecentCommands;
}

/**
 * Wires the upstream clients and the read side; `alerts` defaults to the read side's risk events
 * (what a Lambda can read). `consumers` may be filled after this returns (they start after the
 * handlers). `readSide` is for tests that bring their own.
 */
export function createGatewayDeps(options: {
  config: GatewayConfig;
  metrics: Metrics;
  logger: Logger;
  alerts?: AlertSource;
  consumers?: readonly ConsumerHealthSource[];
  readSide?: ReadSide | null;
  commands?: CommandSink | null;
}): GatewayDeps {
  const { config, metrics, logger } = options;
  const marketData = new Upstream("market-data", config.MARKET_DATA_URL, config.UPSTREAM_TIMEOUT_MS, metrics);
  const strategy = new Upstream("strategy", config.STRATEGY_URL, config.UPSTREAM_TIMEOUT_MS, metrics);
  const target = databaseTarget(config);
  // a Lambda serves one request at a time: one connection; the local gateway a few
  const readSide =
    options.readSide !== undefined
      ? options.readSide
      : target
        ? new ReadSide(
            openDatabase(target, {
              maxConnections: process.env.AWS_LAMBDA_FUNCTION_NAME ? 1 : 8,
              connectTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
            }),
          )
        : null;
  return {
    config,
    metrics,
    logger,
    marketData,
    strategy,
    readSide,
    alerts: options.alerts ?? new ReadSideAlertSource(readSide),
    consumers: options.consumers ?? [],
    auth: authFromConfig(config),
    commands: options.commands ?? null,
    recentCommands: new Map(),
  };
}

let lambdaGateway: GatewayDeps | undefined;

/** The HTTP handlers' dependencies in a Lambda container. */
export function gatewayDepsFromEnv(): GatewayDeps {
  // the producer connects at the first command: only the command routes' Lambdas ever do
  lambdaGateway ??= createGatewayDeps({ ...runtimeFromEnv(), commands: commandSinkFromEnv() });
  return lambdaGateway;
}
