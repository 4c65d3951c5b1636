import { createBus } from "@tickflow/bus";
import { createMetrics, runServiceMain } from "@tickflow/metrics";
import { strategyWorkerConfig } from "./config";
import { SERVICE, startStrategy } from "./service";

// On restart the committed engine snapshot and offsets put the worker back exactly where its
// last transaction left it.
await runServiceMain(SERVICE, async (logger) => {
  const config = strategyWorkerConfig(process.env);
  const bus = await createBus(process.env, SERVICE, logger);
  const metrics = createMetrics(process.env, SERVICE);
  const service = await startStrategy({ config, bus, metrics, logger });
  return {
    done: service.done,
    stop: async () => {
      await service.stop();
      await bus.close();
      await metrics.flush(); // EMF: the last values before the task goes
    },
  };
});
