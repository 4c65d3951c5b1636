import { readFileSync } from "node:fs";
import { createBus, KafkaEnvSchema } from "@tickflow/bus";
import { createMetrics, MetricsEnvSchema } from "@tickflow/metrics";
import { createLogger, readEnv, runService } from "@tickflow/runtime";
import { MarketDataEnvSchema } from "./config";
import { SERVICE, startMarketData } from "./service";

await runService(SERVICE, async () => {
  const env = readEnv(process.env, { config: MarketDataEnvSchema, kafka: KafkaEnvSchema, metrics: MetricsEnvSchema });
  const { config } = env;
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const bus = await createBus(env.kafka, SERVICE, logger);
  const metrics = createMetrics(env.metrics, SERVICE);
  const replayLines = config.MD_REPLAY_FILE ? readFileSync(config.MD_REPLAY_FILE, "utf8").split("\n") : undefined;
  const service = await startMarketData({ config, bus, metrics, logger, ...(replayLines ? { replayLines } : {}) });
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
