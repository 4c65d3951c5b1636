import { availableParallelism } from "node:os";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  gridCandidates,
  gridSize,
  OBJECTIVES,
  parseAxis,
  parseStrategyParams,
  randomCandidates,
  rank,
  strategyDefinition,
  strategyParamNames,
  walkForwardWindows,
  Universe,
  type Candidate,
  type Objective,
  type RunFigures,
} from "@tickflow/core";
import { UsageError } from "../errors";
import { duration, formatNumber, money, percent, ratio, table } from "../format";
import { searchTicks, type SearchSetup, type SearchTask } from "../optimize/evaluate";
import { runTasks } from "../optimize/pool";
import { heatMapHtml } from "../optimize/heat-map";
import type { OptimizeResult, RankedRow, WindowResult } from "../optimize/result";
import { strategyParams } from "../strategy-params";

export const OPTIMIZE_HELP = `Usage: tickflow optimize --strategy <kind> --grid <axis> [--grid <axis> ...] [options]

Searches one strategy's parameters over simulated ticks: every point of the grid, or a seeded
random sample of it, each a backtest through the same engine as tickflow backtest, run in
parallel on worker threads. The same arguments always give the same results, byte for byte,
whatever the number of workers.

Options:
  --strategy <kind>       the strategy to search (default: sma-crossover)
  --grid <name=spec>      an axis: from:to:step (inclusive) or a list a,b,c; repeatable,
                          e.g. --grid fast=5:20:5 --grid slow=20,30,60
  --random <n>            draw n distinct grid points instead of running the whole grid
  --search-seed <seed>    the random search's seed (default: 1)
  --objective <name>      rank by: ${OBJECTIVES.join(", ")} (default: sharpe)
  --max-drawdown-bound <frac>  candidates whose max drawdown exceeds it rank last, e.g. 0.05
  --in-sample <ms>        walk-forward: in-sample window length in ms of event time...
  --out-of-sample <ms>    ...and out-of-sample length; the best in-sample candidate of each
                          window is run on the next out-of-sample one, whose figures are reported
  --workers <n>           worker threads (default: every core, here ${availableParallelism()})
  --top <n>               rows of the ranked table (default: 20)
  --params <json>         parameters every candidate starts from, e.g. '{"tradeNotional":5000}'
  --symbols <list>        symbols, comma-separated (default: AAPL,BTC-USD)
  --seed <seed>           simulator seed (default: 42)
  --ticks <n>             ticks to simulate across all symbols (default: 200000)
  --tick-ms <ms>          simulated ms between two ticks of one symbol (default: 50)
  --taker-fee-bps <bps>   fee of a fill that takes liquidity, in bps of notional (default: 1)
  --starting-cash <usd>   per run (default: 100000)
  --json                  print the results as JSON and nothing else on stdout
  --report <file.html>    also write a heat map of the objective over the first two axes
  -h, --help              show this help
`;

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isInteger(x) || x <= 0)
    throw new UsageError(`--${name}: "${value}" is not valid; see tickflow optimize --help`);
  return x;
}

function nonNegative(value: string | undefined, name: string, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || x < 0 || x > max)
    throw new UsageError(`--${name}: "${value}" is not valid; see tickflow optimize --help`);
  return x;
}

/** Runs `tickflow optimize`; returns the exit code. */
export async function optimize(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      strategy: { type: "string", default: "sma-crossover" },
      grid: { type: "string", multiple: true, default: [] },
      random: { type: "string" },
      "search-seed": { type: "string", default: "1" },
      objective: { type: "string", default: "sharpe" },
      "max-drawdown-bound": { type: "string" },
      "in-sample": { type: "string" },
      "out-of-sample": { type: "string" },
      workers: { type: "string" },
      top: { type: "string", default: "20" },
      params: { type: "string" },
      symbols: { type: "string", default: "AAPL,BTC-USD" },
      seed: { type: "string", default: "42" },
      ticks: { type: "string", default: "200000" },
      "tick-ms": { type: "string", default: "50" },
      "taker-fee-bps": { type: "string" },
      "starting-cash": { type: "string" },
      json: { type: "boolean", default: false },
      report: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(OPTIMIZE_HELP);
    return 0;
  }
  const kind = values.strategy.trim();
  const definition = strategyDefinition(kind);
  const objective = values.objective as Objective;
  if (!OBJECTIVES.includes(objective))
    throw new UsageError(`--objective: unknown "${values.objective}"; objectives: ${OBJECTIVES.join(", ")}`);
  if (values.grid.length === 0) throw new UsageError(`--grid: give at least one axis, e.g. --grid fast=5:20:5`);
  const axes = values.grid.map((spec) => {
    try {
      return parseAxis(spec);
    } catch (error) {
      throw new UsageError(`--grid ${(error as Error).message}`);
    }
  });
  const valid = strategyParamNames(definition);
  for (const axis of axes)
    if (!valid.includes(axis.name))
      throw new UsageError(
        `--grid: unknown parameter "${axis.name}" for ${kind}; valid parameters: ${valid.join(", ")}`,
      );
  if (new Set(axes.map((a) => a.name)).size !== axes.length) throw new UsageError("--grid: an axis is given twice");
  const universe = new Universe();
  const symbols = values.symbols
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  universe.select(symbols);
  const setup: SearchSetup = {
    kind,
    symbols,
    seed: values.seed,
    ticks: positiveInt(values.ticks, "ticks")!,
    tickMs: positiveInt(values["tick-ms"], "tick-ms")!,
    baseParams: strategyParams([kind], values.params, []).get(kind)!,
    execution: { takerFeeBps: nonNegative(values["taker-fee-bps"], "taker-fee-bps") },
    risk: {},
    startingCash: nonNegative(values["starting-cash"], "starting-cash"),
  };
  const random = positiveInt(values.random, "random");
  const maxDrawdownBound = nonNegative(values["max-drawdown-bound"], "max-drawdown-bound", 1) ?? null;
  const workers = positiveInt(values.workers, "workers") ?? availableParallelism();
  const top = positiveInt(values.top, "top")!;
  const inSample = positiveInt(values["in-sample"], "in-sample");
  const outOfSample = positiveInt(values["out-of-sample"], "out-of-sample");
  if ((inSample === undefined) !== (outOfSample === undefined))
    throw new UsageError("--in-sample and --out-of-sample go together");

  const drawn = random === undefined ? gridCandidates(axes) : randomCandidates(axes, random, values["search-seed"]);
  const candidates: Candidate[] = [];
  const skipped: OptimizeResult["skipped"] = [];
  for (const params of drawn) {
    try {
      parseStrategyParams(definition, { ...setup.baseParams, ...params });
      candidates.push(params);
    } catch (error) {
      skipped.push({ params, reason: (error as Error).message.replace(/; accepted params: .*$/, "") });
    }
  }
  if (candidates.length === 0)
    throw new UsageError(`every candidate is refused by ${kind}'s parameters: ${skipped[0]?.reason ?? "none drawn"}`);

  const showProgress = process.stderr.isTTY === true;
  const progress = (label: string) =>
    showProgress
      ? (done: number, total: number) => {
          const width = 30;
          const filled = Math.round((width * done) / total);
          process.stderr.write(`\r  ${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}   `);
        }
      : undefined;

  let ranked: RankedRow[];
  let walkForward: OptimizeResult["walkForward"] = null;
  if (inSample === undefined || outOfSample === undefined) {
    const tasks = candidates.map((params, id): SearchTask => ({ id, params, from: null, to: null }));
    const figures = await runTasks(setup, tasks, workers, progress("backtests"));
    ranked = toRows(
      candidates.map((params, i) => ({ params, figures: figures[i]! })),
      objective,
      maxDrawdownBound,
    );
  } else {
    const ticks = searchTicks(setup);
    const windows = walkForwardWindows(ticks[0]!.tsEvent, ticks.at(-1)!.tsEvent, inSample, outOfSample);
    if (windows.length === 0)
      throw new UsageError(
        `the run (${duration(ticks.at(-1)!.tsEvent - ticks[0]!.tsEvent)}) is shorter than one in-sample plus out-of-sample window (${duration(inSample + outOfSample)})`,
      );
    const tasks = windows.flatMap((w, wi) =>
      candidates.map((params, ci): SearchTask => ({ id: wi * candidates.length + ci, params, ...w.inSample })),
    );
    const figures = await runTasks(setup, tasks, workers, progress("in-sample"));
    const perWindow = windows.map((_, wi) =>
      rank(
        candidates.map((params, ci) => ({ params, figures: figures[wi * candidates.length + ci]! })),
        objective,
        maxDrawdownBound,
      ),
    );
    const bests = perWindow.map((r) => r[0]!);
    const oos = await runTasks(
      setup,
      bests.map((b, wi): SearchTask => ({ id: wi, params: b.item.params, ...windows[wi]!.outOfSample })),
      workers,
      progress("out-of-sample"),
    );
    const results = windows.map((w, wi): WindowResult => ({
      inSample: w.inSample,
      outOfSample: w.outOfSample,
      best: bests[wi]!.item.params,
      inSampleValue: bests[wi]!.value,
      figures: oos[wi]!,
    }));
    walkForward = {
      inSampleMs: inSample,
      outOfSampleMs: outOfSample,
      windows: results,
      outOfSample: {
        netPnl: sumMoney(results.map((r) => r.figures.netPnl)),
        fees: sumMoney(results.map((r) => r.figures.fees)),
        maxDrawdown: Math.max(...results.map((r) => r.figures.maxDrawdown)),
        windows: results.length,
      },
    };
    // the candidates ranked by their mean in-sample figures across the windows
    ranked = toRows(
      candidates.map((params, ci) => ({
        params,
        figures: meanFigures(windows.map((_, wi) => figures[wi * candidates.length + ci]!)),
      })),
      objective,
      maxDrawdownBound,
    );
  }
  if (showProgress) process.stderr.write("\r\x1b[K");

  const result: OptimizeResult = {
    strategy: kind,
    objective,
    maxDrawdownBound,
    axes,
    search: random === undefined ? "grid" : "random",
    candidates: candidates.length,
    skipped,
    ranked,
    walkForward,
  };
  if (values.report !== undefined) {
    try {
      writeFileSync(values.report, heatMapHtml(result));
    } catch (error) {
      throw new UsageError(`--report: cannot write "${values.report}": ${(error as Error).message}`);
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : render(result, top, gridSize(axes)));
  return 0;
}

function sumMoney(xs: readonly number[]): number {
  return xs.reduce((sum, x) => sum + Math.round(x * 1e6), 0) / 1e6;
}

/** The mean of each figure over windows (a null ratio in any window makes the mean null). */
function meanFigures(runs: readonly RunFigures[]): RunFigures {
  const mean = (f: (r: RunFigures) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const meanOrNull = (f: (r: RunFigures) => number | null) =>
    runs.some((r) => f(r) === null) ? null : mean((r) => f(r)!);
  return {
    netPnl: Math.round(mean((r) => r.netPnl) * 1e6) / 1e6,
    fees: Math.round(mean((r) => r.fees) * 1e6) / 1e6,
    fills: mean((r) => r.fills),
    trades: mean((r) => r.trades),
    sharpe: meanOrNull((r) => r.sharpe),
    profitFactor: meanOrNull((r) => r.profitFactor),
    winRateNet: meanOrNull((r) => r.winRateNet),
    maxDrawdown: Math.max(...runs.map((r) => r.maxDrawdown)),
  };
}

function toRows(
  items: { params: Candidate; figures: RunFigures }[],
  objective: Objective,
  bound: number | null,
): RankedRow[] {
  return rank(items, objective, bound).map((r, i) => ({
    rank: i + 1,
    params: r.item.params,
    value: r.value,
    excluded: r.excluded,
    figures: r.item.figures,
  }));
}

const orNa = (x: number | null, f: (x: number) => string) => (x === null ? "n/a" : f(x));

function render(r: OptimizeResult, top: number, size: number): string {
  const names = r.axes.map((a) => a.name);
  const out = [
    `${r.strategy}: ${r.search === "grid" ? `grid of ${formatNumber(size)}` : `${formatNumber(r.candidates + r.skipped.length)} drawn at random from ${formatNumber(size)}`}, ${r.candidates} run, ranked by ${r.objective}${r.maxDrawdownBound === null ? "" : `, max drawdown at most ${percent(r.maxDrawdownBound)}`}`,
  ];
  if (r.skipped.length > 0)
    out.push(
      `  ${r.skipped.length} refused by the strategy's parameters, e.g. ${JSON.stringify(r.skipped[0]!.params)}: ${r.skipped[0]!.reason}`,
    );
  if (r.walkForward) out.push(`  ranked by the mean of ${r.walkForward.windows.length} in-sample windows`);
  const bound = r.maxDrawdownBound !== null;
  out.push(
    "",
    table(
      [
        "rank",
        ...names,
        r.objective,
        "net PnL",
        "Sharpe",
        "profit factor",
        "max drawdown",
        "fills",
        ...(bound ? ["bound"] : []),
      ],
      r.ranked
        .slice(0, top)
        .map((row) => [
          row.rank,
          ...names.map((n) => String(row.params[n])),
          orNa(row.value, (v) => v.toFixed(4)),
          money(row.figures.netPnl),
          orNa(row.figures.sharpe, (v) => v.toFixed(2)),
          orNa(row.figures.profitFactor, ratio),
          percent(row.figures.maxDrawdown),
          row.figures.fills,
          ...(bound ? [row.excluded ? "beyond" : "within"] : []),
        ]),
    ),
  );
  const wf = r.walkForward;
  if (wf) {
    out.push(
      "",
      `Walk-forward: in-sample ${duration(wf.inSampleMs)}, out-of-sample ${duration(wf.outOfSampleMs)}; out-of-sample figures of each window's best in-sample candidate`,
      table(
        [
          "window",
          "out-of-sample from",
          ...names,
          `in-sample ${r.objective}`,
          "OOS net PnL",
          "OOS Sharpe",
          "OOS max drawdown",
        ],
        wf.windows.map((w, i) => [
          i + 1,
          new Date(w.outOfSample.from).toISOString(),
          ...names.map((n) => String(w.best[n])),
          orNa(w.inSampleValue, (v) => v.toFixed(4)),
          money(w.figures.netPnl),
          orNa(w.figures.sharpe, (v) => v.toFixed(2)),
          percent(w.figures.maxDrawdown),
        ]),
      ),
      `  out of sample over ${wf.outOfSample.windows} windows: net PnL ${money(wf.outOfSample.netPnl)}, fees ${money(wf.outOfSample.fees)}, worst drawdown ${percent(wf.outOfSample.maxDrawdown)}`,
    );
  }
  return `${out.join("\n")}\n`;
}
