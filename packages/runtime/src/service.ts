import { ConfigError, ReplayError } from "@tickflow/core";
import { pino, type Logger } from "pino";

export interface RunningService {
  /** The service's own logger (built from its parsed configuration): the shell logs draining and failures with it. */
  logger: Logger;
  /** Settles when the service ends on its own: rejects on a failure it cannot recover from. */
  done: Promise<void>;
  /** Drains and releases everything (finish in-flight work, commit, disconnect, flush metrics). */
  stop(): Promise<void>;
}

/**
 * A long-running service's process, crash-only. `start` reads the configuration, wires the
 * adapters and starts; SIGTERM or SIGINT then drains once (both can arrive: Ctrl-C reaches the
 * process group, a runner sends SIGTERM) and exits 0. Bad configuration exits 2 naming the
 * problem; anything else unexpected exits 1, and the orchestrator restarts the process.
 */
export async function runService(service: string, start: () => Promise<RunningService>): Promise<void> {
  // until the service's own logger exists (configuration can fail before it does)
  let logger: Logger = pino({ base: { service } });
  process.on("unhandledRejection", (error) => {
    logger.fatal({ err: error }, "unhandled rejection");
    process.exit(1);
  });
  try {
    const running = await start();
    logger = running.logger;
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
    // a replay file's bad row: what to fix is in the message (file, line, field)
    const input = error instanceof ReplayError;
    logger.fatal(
      { err: error },
      config || input ? `bad ${config ? "configuration" : "input"}: ${(error as Error).message}` : `${service} failed`,
    );
    process.exit(config || input ? 2 : 1);
  }
}
