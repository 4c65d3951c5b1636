import { existsSync } from "node:fs";
import { createBus, KafkaEnvSchema } from "@tickflow/bus";
import { createMetrics, MetricsEnvSchema } from "@tickflow/metrics";
import { ConfigError } from "@tickflow/core";
import { createLogger, loadUniverse, readEnv, readLinesSync, runService } from "@tickflow/runtime";
import { MarketDataEnvSchema } from "./config";
import { SERVICE, startMarketData } from "./service";

await runService(SERVICE, async () => {
  const env = readEnv(process.env, { config: MarketDataEnvSchema, kafka: KafkaEnvSchema, metrics: MetricsEnvSchema });
  const { config } = env;
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const bus = await createBus(env.kafka, SERVICE, logger);
  const metrics = createMetrics(env.metrics, SERVICE);
  const universe = loadUniverse(config.MD_INSTRUMENTS_FILE);
  if (config.MD_REPLAY_FILE && !existsSync(config.MD_REPLAY_FILE))
    throw new ConfigError(`MD_REPLAY_FILE: "${config.MD_REPLAY_FILE}" does not exist`);
  // read as the feed publishes: a replay file of any size (gzip or plain) is never in memory whole
  const replayLines = config.MD_REPLAY_FILE ? readLinesSync(config.MD_REPLAY_FILE) : undefined;
  const service = await startMarketData({
    config,
    bus,
    metrics,
    logger,
    universe,
    ...(replayLines ? { replayLines } : {}),
  });
  return {
    logger,
    done: service.done,
    stop: async () => {
      await service.stop();
      await bus.close();
      await metrics.flush(); // EMF: the last values before the task goes
    },
  };
});
