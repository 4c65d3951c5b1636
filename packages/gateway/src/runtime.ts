import type { MiddlewareObj } from "@middy/core";
import { createMetrics, MetricsEnvSchema, type Metrics } from "@tickflow/metrics";
import { createLogger, readEnv, type Logger } from "@tickflow/runtime";
import { GatewayEnvSchema, type GatewayConfig } from "./config";

export const SERVICE = "gateway";

/** The pieces every Lambda of this package (the routes', the risk/alerts consumer's) shares, from its environment. */
export interface LambdaRuntime {
  config: GatewayConfig;
  metrics: Metrics;
  logger: Logger;
}

let lambdaRuntime: LambdaRuntime | undefined;

/**
 * The Lambda container's configuration, metrics (EMF: createMetrics detects Lambda) and logger,
 * read from the environment on the first invocation and kept for the container's life.
 */
export function runtimeFromEnv(): LambdaRuntime {
  if (!lambdaRuntime) {
    const env = readEnv(process.env, { config: GatewayEnvSchema, metrics: MetricsEnvSchema });
    lambdaRuntime = {
      config: env.config,
      metrics: createMetrics(env.metrics, SERVICE),
      logger: createLogger(SERVICE, env.config.LOG_LEVEL),
    };
  }
  return lambdaRuntime;
}

/**
 * Writes buffered metrics at the end of every invocation: CloudWatch EMF lines in Lambda (a
 * frozen or recycled container would lose them otherwise); a no-op for Prometheus, which is
 * scraped. A failed flush is logged and never turns an answered request into an error.
 */
export function flushMetrics<E, R>(metrics: Metrics, logger: Logger): MiddlewareObj<E, R> {
  const flush = async () => {
    try {
      await metrics.flush();
    } catch (error) {
      logger.warn({ err: error }, "could not flush metrics");
    }
  };
  return { after: flush, onError: flush };
}
