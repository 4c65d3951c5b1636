import { MarketSimulator, TradingEngine, Universe } from "@tickflow/core";
import { median, seconds } from "./stats";

export interface CoreFigures {
  baselineTicksPerSecond: number;
  backtestTicksPerSecond: number;
  /** backtest / baseline */
  ratio: number;
}

function measure(runs: number, body: () => number): number {
  body(); // warm-up: let the JIT settle before timing
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const n = body();
    rates.push(n / seconds(start));
  }
  return median(rates);
}

/** The backtest path (simulator + bars + one strategy + paper broker + portfolio) against the simulator alone. */
export function benchCore(ticks: number, runs: number): CoreFigures {
  const universe = new Universe();
  const instruments = universe.select(["AAPL"]);
  let sink = 0;
  const baseline = measure(runs, () => {
    const sim = new MarketSimulator({ instruments, seed: 42 });
    for (let i = 0; i < ticks; i++) sink += sim.next().bid;
    return ticks;
  });
  const backtest = measure(runs, () => {
    const sim = new MarketSimulator({ instruments, seed: 42 });
    const engine = new TradingEngine(
      { strategies: [{ id: "sma-crossover", kind: "sma-crossover", symbols: ["AAPL"] }] },
      universe,
    );
    for (let i = 0; i < ticks; i++) {
      const outcome = engine.onQuote(sim.next());
      sink += outcome.status === "applied" ? outcome.events.length : 0;
    }
    return ticks;
  });
  // the sums are consumed so the optimiser cannot drop the loops
  if (Number.isNaN(sink)) throw new Error("benchmark produced NaN");
  return { baselineTicksPerSecond: baseline, backtestTicksPerSecond: backtest, ratio: backtest / baseline };
}
