import { ConfigError } from "@tickflow/core";
import { pino, type Logger } from "pino";

export interface RunningService {
  /** Settles when the service ends on its own: rejects on a failure it cannot recover from. */
  done: Promise<void>;
  /** Drains and releases everything (finish in-flight work, commit, disconnect, flush metrics). */
  stop(): Promise<void>;
}

/**
 * A long-running service's process, crash-only: structured JSON logs; SIGTERM or SIGINT drains
 * once (both can arrive: Ctrl-C reaches the process group, a runner sends SIGTERM) and exits 0;
 * bad configuration exits 2 naming the problem; anything else unexpected exits 1, and the
 * orchestrator restarts the process.
 */
export async function runServiceMain(service: string, start: (logger: Logger) => Promise<RunningService>): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? "info", base: { service } });
  process.on("unhandledRejection", (error) => {
    logger.fatal({ err: error }, "unhandled rejection");
    process.exit(1);
  });
  try {
    const running = await start(logger);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "draining");
      await running.stop();
      process.exit(0);
    };
    process.once("SIGTERM", () => void shutdown("SIGTERM"));
    process.once("SIGINT", () => void shutdown("SIGINT"));
    await running.done;
  } catch (error) {
    const config = error instanceof ConfigError;
    logger.fatal({ err: error }, config ? `bad configuration: ${(error as Error).message}` : `${service} failed`);
    process.exit(config ? 2 : 1);
  }
}
