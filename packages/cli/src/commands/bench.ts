import { parseArgs } from "node:util";
import { MarketSimulator, TradingEngine, Universe } from "@tickflow/core";
import { formatNumber, table } from "../format";

export const BENCH_HELP = `Usage: tickflow bench [--ticks N] [--runs N] [--json]

Measures, in one run on this machine, ticks per second of:
  baseline   the simulator alone
  backtest   simulator + bars + one strategy + paper broker + portfolio (the engine)
and prints their ratio. Figures are medians of --runs runs after a warm-up.
`;

interface Figure {
  name: string;
  ticksPerSecond: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(runs: number, body: () => number): number {
  body(); // warm-up: let the JIT settle before timing
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const n = body();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(n / seconds);
  }
  return median(rates);
}

/** The core benchmark: figures for the simulator alone and for the full backtest path. */
export function benchCore(ticks: number, runs: number): { baseline: Figure; backtest: Figure; ratio: number } {
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
    const engine = new TradingEngine({ strategies: [{ id: "sma-crossover", kind: "sma-crossover", symbols: ["AAPL"] }] }, universe);
    for (let i = 0; i < ticks; i++) sink += engine.onQuote(sim.next()).length;
    return ticks;
  });
  if (sink === Number.MIN_VALUE) process.stdout.write(""); // keeps the work observable to the optimiser
  return { baseline: { name: "simulator alone", ticksPerSecond: baseline }, backtest: { name: "backtest path", ticksPerSecond: backtest }, ratio: backtest / baseline };
}

export function bench(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ticks: { type: "string", default: "2000000" }, runs: { type: "string", default: "5" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const core = benchCore(Number(values.ticks), Number(values.runs));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ core }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `Core (one thread, ${formatNumber(Number(values.ticks))} ticks x ${values.runs} runs, median)\n${table(
      ["path", "ticks/s"],
      [
        [core.baseline.name, Math.round(core.baseline.ticksPerSecond)],
        [core.backtest.name, Math.round(core.backtest.ticksPerSecond)],
      ],
    )}\nratio backtest / baseline: ${core.ratio.toFixed(3)}\n`,
  );
  return 0;
}
