import { gridCandidates, parseAxis } from "@tickflow/core";
import { runTasks } from "../optimize/pool";
import type { SearchSetup } from "../optimize/evaluate";
import { seconds } from "./stats";

export interface OptimizeFigures {
  backtests: number;
  ticksPerBacktest: number;
  oneWorkerSeconds: number;
  twoWorkersSeconds: number;
  /** one worker's time over two workers' */
  speedup: number;
  /** What starting one worker thread costs (a pool of one running a one-tick backtest): part of both times. */
  threadStartSeconds: number;
}

/** The same search (sma-crossover over a 4 x 3 grid) on one worker thread, then on two. */
export async function benchOptimize(ticks: number): Promise<OptimizeFigures> {
  const setup: SearchSetup = {
    kind: "sma-crossover",
    symbols: ["AAPL", "BTC-USD"],
    seed: "42",
    ticks,
    tickMs: 50,
    baseParams: {},
    execution: {},
    risk: {},
    startingCash: undefined,
  };
  const tasks = gridCandidates([parseAxis("fast=5:20:5"), parseAxis("slow=30,45,60")]).map((params, id) => ({
    id,
    params,
    from: null,
    to: null,
  }));
  const time = async (workers: number) => {
    const start = process.hrtime.bigint();
    await runTasks(setup, tasks, workers);
    return seconds(start);
  };
  // each pool simulates its ticks once per thread, as a real search does: that is part of the time
  const one = await time(1);
  const two = await time(2);
  const start = process.hrtime.bigint();
  await runTasks({ ...setup, ticks: 1 }, tasks.slice(0, 1), 1);
  return {
    backtests: tasks.length,
    ticksPerBacktest: ticks,
    oneWorkerSeconds: one,
    twoWorkersSeconds: two,
    speedup: one / two,
    threadStartSeconds: seconds(start),
  };
}
