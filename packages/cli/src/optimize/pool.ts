import { Worker } from "node:worker_threads";
import type { RunFigures } from "@tickflow/core";
import type { SearchSetup, SearchTask } from "./evaluate";

type Answer = { id: number; figures: RunFigures } | { id: number; error: string };

/**
 * Runs the tasks on `workers` threads, each taking the next task when it is done with one, and
 * returns the figures in task order: which thread ran what, and when, never shows in the result.
 */
export async function runTasks(
  setup: SearchSetup,
  tasks: readonly SearchTask[],
  workers: number,
  onProgress?: (done: number, total: number) => void,
): Promise<RunFigures[]> {
  const results: (RunFigures | undefined)[] = new Array(tasks.length);
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const threads = Array.from(
    { length: Math.max(1, Math.min(workers, tasks.length)) },
    () =>
      new Worker(new URL("./worker-entry.js", import.meta.url), {
        workerData: { module: new URL("./worker.ts", import.meta.url).href, setup },
      }),
  );
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      if (tasks.length === 0) return resolve();
      const feed = (thread: Worker) => {
        if (next < tasks.length) thread.postMessage(tasks[next++]);
      };
      for (const thread of threads) {
        thread.on("message", (answer: Answer) => {
          if ("error" in answer) return reject(new Error(answer.error));
          results[index.get(answer.id)!] = answer.figures;
          done += 1;
          onProgress?.(done, tasks.length);
          if (done === tasks.length) resolve();
          else feed(thread);
        });
        thread.on("error", reject);
        thread.on("exit", (code) => {
          if (done < tasks.length) reject(new Error(`a search worker exited (${code}) with tasks left`));
        });
        feed(thread);
      }
    });
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
  return results as RunFigures[];
}
