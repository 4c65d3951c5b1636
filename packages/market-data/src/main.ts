import { readFileSync } from "node:fs";
import { createBus } from "@tickflow/bus";
import { createMetrics, runServiceMain } from "@tickflow/metrics";
import { marketDataConfig } from "./config";
import { SERVICE, startMarketData } from "./service";

await runServiceMain(SERVICE, async (logger) => {
  const config = marketDataConfig(process.env);
  const bus = await createBus(process.env, SERVICE, logger);
  const metrics = createMetrics(process.env, SERVICE);
  const replayLines = config.MD_REPLAY_FILE ? readFileSync(config.MD_REPLAY_FILE, "utf8").split("\n") : undefined;
  const service = await startMarketData({ config, bus, metrics, logger, ...(replayLines ? { replayLines } : {}) });
  return {
    done: service.done,
    stop: async () => {
      await service.stop();
      await bus.close();
      await metrics.flush(); // EMF: the last values before the task goes
    },
  };
});
