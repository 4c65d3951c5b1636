import { createBus, KafkaEnvSchema } from "@tickflow/bus";
import { createMetrics, MetricsEnvSchema } from "@tickflow/metrics";
import { createLogger, readEnv, runService } from "@tickflow/runtime";
import { GatewayEnvSchema } from "./config";
import { startLocalGateway } from "./local/adapter";
import { SERVICE } from "./runtime";

// The local HTTP adapter on its own (Compose, or `tickflow up` on Kafka): the same handlers as Lambda.
await runService(SERVICE, async () => {
  const env = readEnv(process.env, { config: GatewayEnvSchema, kafka: KafkaEnvSchema, metrics: MetricsEnvSchema });
  const { config } = env;
  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const bus = await createBus(env.kafka, SERVICE, logger);
  const metrics = createMetrics(env.metrics, SERVICE);
  const gateway = await startLocalGateway({ config, bus, metrics, logger });
  return {
    logger,
    done: gateway.done,
    stop: async () => {
      await gateway.stop();
      await bus.close();
    },
  };
});
