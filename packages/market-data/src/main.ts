import { readFileSync } from "node:fs";
import { createBus } from "@tickflow/bus";
import { ConfigError } from "@tickflow/core";
import { createMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { marketDataConfig } from "./config";
import { SERVICE, startMarketData } from "./service";

const logger = pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: SERVICE } });

// Crash-only: anything unexpected ends the process non-zero and the orchestrator restarts it.
process.on("unhandledRejection", (error) => {
  logger.fatal({ err: error }, "unhandled rejection");
  process.exit(1);
});

try {
  const config = marketDataConfig(process.env);
  const bus = await createBus(process.env, SERVICE, logger);
  const metrics = createMetrics(process.env, SERVICE);
  const replayLines = config.MD_REPLAY_FILE ? readFileSync(config.MD_REPLAY_FILE, "utf8").split("\n") : undefined;
  const service = await startMarketData({ config, bus, metrics, logger, ...(replayLines ? { replayLines } : {}) });
  let stopping = false;
  const shutdown = async (signal: string) => {
    // SIGINT and SIGTERM can both arrive (Ctrl-C reaches the group, the runner sends SIGTERM)
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining");
    await service.stop();
    await bus.close();
    await metrics.flush(); // EMF: the last values before the task goes
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  await service.done;
} catch (error) {
  logger.fatal({ err: error }, error instanceof ConfigError ? `bad configuration: ${(error as Error).message}` : "market-data failed");
  process.exit(error instanceof ConfigError ? 2 : 1);
}
