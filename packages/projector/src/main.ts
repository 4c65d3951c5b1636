import { createBus, KafkaEnvSchema } from "@tickflow/bus";
import { createMetrics, MetricsEnvSchema } from "@tickflow/metrics";
import { databaseTarget, NO_DATABASE_MESSAGE, openDatabase } from "@tickflow/read-side";
import { createLogger, readEnv, runService } from "@tickflow/runtime";
import { ProjectorEnvSchema } from "./config";
import { SERVICE, startProjector } from "./service";

// On restart the offsets stored with the rows put the projector back where its last database
// transaction left it.
await runService(SERVICE, async () => {
  const env = readEnv(process.env, { config: ProjectorEnvSchema, kafka: KafkaEnvSchema, metrics: MetricsEnvSchema });
  const { config } = env;
  const logger = createLogger(SERVICE, config.logLevel);
  const target = databaseTarget(config.database);
  if (!target) throw new Error(NO_DATABASE_MESSAGE);
  const db = openDatabase(target, { maxConnections: 2 });
  const bus = await createBus(env.kafka, SERVICE, logger);
  const metrics = createMetrics(env.metrics, SERVICE);
  const service = await startProjector({ config, bus, db, target, metrics, logger });
  return {
    logger,
    done: service.done,
    stop: async () => {
      await service.stop();
      await bus.close();
      await db.destroy();
      await metrics.flush();
    },
  };
});
