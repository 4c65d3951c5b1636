import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  DEFAULT_UNIVERSE,
  mergeInstruments,
  REPLAY_FORMATS,
  runBacktest,
  simulatedTicks,
  STRATEGIES,
  Universe,
  type BacktestReport,
  type EngineConfigInput,
  type RatioFigure,
  type ReplayFormat,
  type StrategyReport,
} from "@tickflow/core";
import { readInstrumentsFile, readReplayFile } from "@tickflow/runtime";
import { UsageError } from "../errors";
import { duration, formatNumber, money, percent, ratio, table } from "../format";
import { renderHtmlReport } from "../report-html";
import { strategyParams } from "../strategy-params";

export const BACKTEST_HELP = `Usage: tickflow backtest [options]

Runs strategies over simulated (or replayed) ticks in-process, through the same engine as the
live strategy worker, and prints a report. The same options always give the same report.

Options:
  --strategy <ids>        strategy kinds, comma-separated (default: sma-crossover)
                          one of: ${[...STRATEGIES.keys()].join(", ")}
  --symbols <list>        symbols, comma-separated (default: the --instruments file's symbols,
                          else AAPL,BTC-USD)
  --seed <seed>           simulator seed (default: 42)
  --ticks <n>             ticks to simulate across all symbols (default: 200000)
  --tick-ms <ms>          simulated ms between two ticks of one symbol (default: 50)
  --replay <file>         replay ticks from a file instead of simulating (--seed, --ticks and
                          --tick-ms are then ignored): Tickflow CSV (symbol,tsEvent,bid,ask,
                          bidSize,askSize), Tardis quotes CSV or Databento MBP-1/BBO CSV,
                          plain or gzip; the format is read from the header
  --replay-format <f>     the replay file's format: ${REPLAY_FORMATS.join(", ")}
                          (default: read from the header)
  --instruments <file>    instruments beyond the default universe, JSON or CSV (symbol, currency,
                          priceIncrement, sizeIncrement, ...); a symbol of the default universe
                          named there is redefined
  --params <json>         strategy parameters keyed by strategy id, e.g.
                          '{"sma-crossover":{"fast":10,"slow":50}}'; a flat object
                          ('{"fast":10}') goes to every strategy that accepts each key
  --param <id.name=value> one parameter of one strategy, e.g. sma-crossover.fast=5
                          (repeatable; wins over --params); an unknown name exits 2
  --taker-fee-bps <bps>   fee of a fill that takes liquidity, in bps of notional (default: 1)
  --maker-fee-bps <bps>   fee of a resting limit's fill, in bps of notional (default: 0)
  --slippage-bps <bps>    taker fills this far beyond the touch (default: 0)
  --slippage-ticks <n>    and this many price increments beyond it (default: 0)
  --latency-ms <ms>       an order meets the first quote this long after it is sent
                          (event time; default: 0, the next quote)
  --fill-on-touch <p>     chance a resting limit fills when the touch just reaches its
                          price, for the queue ahead of it (default: 1)
  --starting-cash <usd>   per strategy (default: 100000)
  --max-position <usd>    risk: max position notional per symbol (default: 50000)
  --max-gross <usd>       risk: max gross notional per strategy (default: 150000)
  --max-drawdown <frac>   risk: drawdown that halts a strategy, e.g. 0.1 (default: 0.1)
  --json                  print the report as JSON and nothing else on stdout (with the
                          round trips, the equity curve and the sampled mids)
  --report <file.html>    also write the report as one self-contained HTML page: equity,
                          drawdown and price charts with entries and exits, the trade table
  -h, --help              show this help
`;

function number(
  value: string | undefined,
  name: string,
  check: (x: number) => boolean = Number.isFinite,
): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === "" || !check(x))
    throw new UsageError(`--${name}: "${value}" is not valid; see tickflow backtest --help`);
  return x;
}

const positiveInt = (x: number) => Number.isInteger(x) && x > 0;

/** Runs `tickflow backtest`; returns the exit code. */
export function backtest(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      strategy: { type: "string", default: "sma-crossover" },
      symbols: { type: "string" },
      seed: { type: "string", default: "42" },
      ticks: { type: "string", default: "200000" },
      "tick-ms": { type: "string", default: "50" },
      replay: { type: "string" },
      "replay-format": { type: "string" },
      instruments: { type: "string" },
      params: { type: "string" },
      param: { type: "string", multiple: true, default: [] },
      report: { type: "string" },
      "taker-fee-bps": { type: "string" },
      "maker-fee-bps": { type: "string" },
      "slippage-bps": { type: "string" },
      "slippage-ticks": { type: "string" },
      "latency-ms": { type: "string" },
      "fill-on-touch": { type: "string" },
      "starting-cash": { type: "string" },
      "max-position": { type: "string" },
      "max-gross": { type: "string" },
      "max-drawdown": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(BACKTEST_HELP);
    return 0;
  }

  const extra = values.instruments === undefined ? [] : readInstrumentsFile(values.instruments);
  const universe = new Universe(mergeInstruments(DEFAULT_UNIVERSE, extra));
  const symbols = (values.symbols ?? (extra.length > 0 ? extra.map((i) => i.symbol).join(",") : "AAPL,BTC-USD"))
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (symbols.length === 0) throw new UsageError(`--symbols is empty; valid symbols: ${universe.symbols.join(", ")}`);
  const instruments = universe.select(symbols);
  const kinds = values.strategy
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // each instance runs under its kind as its id
  const params = strategyParams(kinds, values.params, values.param);
  const ticks = number(values.ticks, "ticks", positiveInt)!;
  const tickMs = number(values["tick-ms"], "tick-ms", positiveInt)!;
  const engine: EngineConfigInput = {
    strategies: kinds.map((kind) => ({ id: kind, kind, symbols, params: params.get(kind) })),
    execution: {
      takerFeeBps: number(values["taker-fee-bps"], "taker-fee-bps", (x) => x >= 0),
      makerFeeBps: number(values["maker-fee-bps"], "maker-fee-bps", (x) => x >= 0),
      slippageBps: number(values["slippage-bps"], "slippage-bps", (x) => x >= 0),
      slippageTicks: number(values["slippage-ticks"], "slippage-ticks", (x) => Number.isInteger(x) && x >= 0),
      latencyMs: number(values["latency-ms"], "latency-ms", (x) => Number.isInteger(x) && x >= 0),
      fillOnTouchProbability: number(values["fill-on-touch"], "fill-on-touch", (x) => x >= 0 && x <= 1),
    },
    risk: {
      maxPositionNotional: number(values["max-position"], "max-position", (x) => x > 0),
      maxGrossNotional: number(values["max-gross"], "max-gross", (x) => x > 0),
      maxDrawdownPct: number(values["max-drawdown"], "max-drawdown", (x) => x > 0 && x <= 1),
    },
    startingCash: number(values["starting-cash"], "starting-cash", (x) => x > 0),
  };

  let source;
  let total: number | null = ticks;
  const format = values["replay-format"];
  if (format !== undefined && !(REPLAY_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--replay-format: "${format}" is not one of ${REPLAY_FORMATS.join(", ")}`);
  if (values.replay !== undefined) {
    if (!existsSync(values.replay)) throw new UsageError(`--replay: no such file "${values.replay}"`);
    source = readReplayFile(values.replay, universe, format as ReplayFormat | undefined);
    total = null;
  } else {
    source = simulatedTicks({ instruments, seed: values.seed, tickIntervalMs: tickMs }, ticks);
  }

  const showProgress = process.stderr.isTTY === true;
  const report = runBacktest({
    engine,
    universe,
    ticks: source,
    progressEvery: 50_000,
    onProgress: showProgress
      ? (n) =>
          process.stderr.write(
            `\r  ${formatNumber(n)}${total ? ` / ${formatNumber(total)} ticks (${Math.round((100 * n) / total)}%)` : " ticks"}   `,
          )
      : undefined,
  });
  if (showProgress) process.stderr.write("\r\x1b[K");

  // the text report ends with its warnings; with --json they go to stderr, so stdout stays one JSON document
  if (values.json) for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
  if (values.report !== undefined) {
    try {
      writeFileSync(
        values.report,
        renderHtmlReport(report, `Tickflow backtest: ${kinds.join(", ")} on ${symbols.join(", ")}`),
      );
    } catch (error) {
      throw new UsageError(`--report: cannot write "${values.report}": ${(error as Error).message}`);
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
  return 0;
}

const orNa = (x: number | null, f: (x: number) => string) => (x === null ? "n/a" : f(x));

function ratioFigure(r: RatioFigure, period: string): string {
  return r.value === null || r.perPeriod === null
    ? (r.note ?? "n/a")
    : `${r.value.toFixed(2)} (${r.perPeriod.toFixed(4)} per ${period})`;
}

function signedPercent(x: number): string {
  return `${x > 0 ? "+" : ""}${percent(x)}`;
}

function byReason(counts: Partial<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "" : ` (${entries.map(([reason, n]) => `${reason} ${n}`).join(", ")})`;
}

function renderFigures(s: StrategyReport): string[] {
  const p = s.performance;
  const dd = p.drawdown;
  const ddWhen =
    dd.peakTs === null
      ? ""
      : `, ${duration(dd.durationMs)} from the peak ${dd.recoveredTs === null ? "to the end (not recovered)" : "to recovery"}`;
  return [
    `  max drawdown ${percent(dd.maxDrawdown)} (${money(dd.maxDrawdownAmount)}) from the highest equity since start${ddWhen}`,
    `  Sharpe ${ratioFigure(p.sharpe, p.returns.period)}   Sortino ${ratioFigure(p.sortino, p.returns.period)}`,
    `    on ${p.returns.period} returns: ${p.returns.periods} periods, ${p.returns.annualised ? `annualised x${p.returns.annualisation.toFixed(2)} (sqrt of ${formatNumber(Math.round(p.returns.periodsPerYear))} periods a year)` : "not annualised (hourly returns or coarser are)"}, risk-free rate 0`,
    `  buy and hold ${money(p.benchmark.notional)} (tradeNotional per symbol, mid to mid, no fees): ${money(p.benchmark.pnl)} (${signedPercent(p.benchmark.return)})`,
    `  signals ${s.signals}   orders ${s.orders}   fills ${s.fills}   closing fills ${s.closingTrades}   rejected ${s.rejected}${byReason(s.rejectedByReason)}`,
    `  round trips ${p.trades}   win rate (net of fees) ${orNa(p.winRateNet, percent)}   profit factor ${orNa(p.profitFactor, ratio)}   avg win ${orNa(p.averageWin, money)}   avg loss ${orNa(p.averageLoss, money)}   expectancy ${orNa(p.expectancy, money)} per trade`,
    `  exposure ${percent(p.exposure)} of the run in the market   turnover ${ratio(p.turnover)}x starting cash`,
  ];
}

function render(report: BacktestReport): string {
  const span =
    report.firstTs !== null && report.lastTs !== null
      ? `${new Date(report.firstTs).toISOString()} .. ${new Date(report.lastTs).toISOString()}`
      : "no ticks";
  const out = [`Backtest over ${formatNumber(report.ticks)} ticks, ${span}`];
  if (report.duplicateTicks + report.missingTicks > 0)
    out.push(`  ${report.duplicateTicks} duplicate and ${report.missingTicks} missing ticks by seq`);
  const rejected = Object.entries(report.rejectedTicks);
  if (rejected.length > 0)
    out.push(`  quotes refused by the quote guard: ${rejected.map(([reason, n]) => `${n} ${reason}`).join(", ")}`);
  for (const s of report.strategies) {
    out.push(
      "",
      `${s.id} (${s.interval} bars) ${JSON.stringify(s.params)}`,
      `  net PnL ${money(s.netPnl)}  =  realized ${money(s.realizedPnl)} + unrealized ${money(s.unrealizedPnl)} - fees ${money(s.fees)}`,
      `  equity ${money(s.startingCash)} -> ${money(s.finalEquity)}${s.halted ? "   HALTED by drawdown limit" : ""}`,
      ...renderFigures(s),
      "",
      table(
        ["symbol", "fills", "position", "avg price", "realized", "unrealized", "fees", "net PnL"],
        s.symbols.map((x) => [
          x.symbol,
          x.fills,
          x.position,
          x.averagePrice,
          money(x.realizedPnl),
          money(x.unrealizedPnl),
          money(x.fees),
          money(x.netPnl),
        ]),
      )
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
      "",
      table(
        [
          "symbol",
          "round trips",
          "win rate (net)",
          "profit factor",
          "expectancy",
          "exposure",
          "turnover",
          "buy & hold",
        ],
        s.performance.symbols.map((x) => [
          x.symbol,
          x.trades,
          orNa(x.winRateNet, percent),
          orNa(x.profitFactor, ratio),
          orNa(x.expectancy, money),
          percent(x.exposure),
          `${ratio(x.turnover)}x`,
          x.benchmark ? signedPercent(x.benchmark.return) : "n/a",
        ]),
      )
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
  }
  for (const warning of report.warnings) out.push("", `warning: ${warning}`);
  return `${out.join("\n")}\n`;
}
