import { createBus } from "@tickflow/bus";
import { createMetrics, runServiceMain } from "@tickflow/metrics";
import { gatewayConfig } from "./config";
import { startLocalGateway } from "./local-adapter";
import { SERVICE } from "./runtime";

// The local HTTP adapter on its own (Compose, or `tickflow up` on Kafka): the same handlers as Lambda.
await runServiceMain(SERVICE, async (logger) => {
  const config = gatewayConfig(process.env);
  logger.level = config.LOG_LEVEL;
  const bus = await createBus(process.env, SERVICE, logger);
  const metrics = createMetrics(process.env, SERVICE);
  const gateway = await startLocalGateway({ config, bus, metrics, logger });
  return {
    done: gateway.done,
    stop: async () => {
      await gateway.stop();
      await bus.close();
    },
  };
});
