import { createBus } from "@tickflow/bus";
import { ConfigError } from "@tickflow/core";
import { createMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { gatewayConfig } from "./config";
import { startLocalGateway } from "./local-adapter";
import { SERVICE } from "./runtime";

const logger = pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: SERVICE } });

// Crash-only: anything unexpected ends the process non-zero and the orchestrator restarts it.
process.on("unhandledRejection", (error) => {
  logger.fatal({ err: error }, "unhandled rejection");
  process.exit(1);
});

try {
  const config = gatewayConfig(process.env);
  logger.level = config.LOG_LEVEL;
  const bus = await createBus(process.env, SERVICE, logger);
  const metrics = createMetrics(process.env, SERVICE);
  const gateway = await startLocalGateway({ config, bus, metrics, logger });
  let stopping = false;
  const shutdown = async (signal: string) => {
    // SIGINT and SIGTERM can both arrive (Ctrl-C reaches the group, the runner sends SIGTERM)
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining");
    await gateway.stop();
    await bus.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  await gateway.done;
} catch (error) {
  logger.fatal({ err: error }, error instanceof ConfigError ? `bad configuration: ${(error as Error).message}` : "gateway failed");
  process.exit(error instanceof ConfigError ? 2 : 1);
}
