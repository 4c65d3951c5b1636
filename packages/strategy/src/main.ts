import { createBus, KafkaEnvSchema } from "@tickflow/bus";
import { createMetrics, MetricsEnvSchema } from "@tickflow/metrics";
import { createLogger, readEnv, runService } from "@tickflow/runtime";
import { StrategyEnvSchema } from "./config";
import { SERVICE, startStrategy } from "./service";

// On restart the committed engine snapshot and offsets put the worker back exactly where its
// last transaction left it.
await runService(SERVICE, async () => {
  const env = readEnv(process.env, { config: StrategyEnvSchema, kafka: KafkaEnvSchema, metrics: MetricsEnvSchema });
  const { config } = env;
  const logger = createLogger(SERVICE, config.logLevel);
  const bus = await createBus(env.kafka, SERVICE, logger);
  const metrics = createMetrics(env.metrics, SERVICE);
  const service = await startStrategy({ config, bus, metrics, logger });
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
