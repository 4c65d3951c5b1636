import { parentPort, workerData } from "node:worker_threads";
import { evaluate, type SearchSetup, type SearchTask } from "./evaluate";

/** Answers each task with its figures, or with the error that stopped it. */
const setup = (workerData as { setup: SearchSetup }).setup;
parentPort!.on("message", (task: SearchTask) => {
  try {
    parentPort!.postMessage({ id: task.id, figures: evaluate(setup, task) });
  } catch (error) {
    parentPort!.postMessage({ id: task.id, error: (error as Error).message });
  }
});
