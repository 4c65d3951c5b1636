import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OPTIMIZE_HELP } from "../src/commands/optimize";
import type { OptimizeResult } from "../src/optimize/result";
import { heatMapHtml } from "../src/optimize/heat-map";
import { root, tickflow } from "./run-tickflow";

// 40,000 ticks over two symbols 50 ms apart: 1,000 s of event time
const BASE = [
  "optimize",
  "--strategy",
  "sma-crossover",
  "--ticks",
  "40000",
  "--grid",
  "fast=5:15:5",
  "--grid",
  "slow=10,30",
];

async function json(args: string[]): Promise<{ text: string; result: OptimizeResult }> {
  const run = await tickflow([...args, "--json"]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return { text: run.stdout, result: JSON.parse(run.stdout) as OptimizeResult };
}

describe("tickflow optimize", () => {
  it("gives the same results, byte for byte, on one worker thread and on two", async () => {
    const one = await json([...BASE, "--objective", "net-pnl", "--workers", "1"]);
    const two = await json([...BASE, "--objective", "net-pnl", "--workers", "2"]);
    expect(two.text).toBe(one.text);
    const r = one.result;
    // 3 x 2 grid; fast 10 and 15 are refused against slow 10 (fast must be shorter than slow), fast 5 runs
    expect(r.candidates).toBe(4);
    expect(r.skipped.map((s) => s.params)).toEqual([
      { fast: 10, slow: 10 },
      { fast: 15, slow: 10 },
    ]);
    expect(r.skipped[0]!.reason).toMatch(/fast must be shorter than slow/);
    // ranked best first by net PnL
    const values = r.ranked.map((row) => row.value!);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(r.ranked.map((row) => row.rank)).toEqual([1, 2, 3, 4]);
  });

  it("reports for a candidate exactly what tickflow backtest reports for the same parameters", async () => {
    const { result } = await json([...BASE, "--objective", "net-pnl", "--workers", "2"]);
    const best = result.ranked[0]!;
    const backtest = await tickflow([
      "backtest",
      "--strategy",
      "sma-crossover",
      "--ticks",
      "40000",
      "--param",
      `sma-crossover.fast=${best.params.fast}`,
      "--param",
      `sma-crossover.slow=${best.params.slow}`,
      "--json",
    ]);
    const [s] = JSON.parse(backtest.stdout).strategies;
    expect(best.figures).toEqual({
      netPnl: s.netPnl,
      fees: s.fees,
      fills: s.fills,
      trades: s.performance.trades,
      sharpe: s.performance.sharpe.value,
      profitFactor: s.performance.profitFactor,
      winRateNet: s.performance.winRateNet,
      maxDrawdown: s.performance.drawdown.maxDrawdown,
    });
  });

  it("draws a seeded random sample of the grid, the same for the same seed", async () => {
    const args = ["optimize", "--ticks", "4000", "--grid", "fast=2:9:1", "--grid", "slow=20:60:10", "--random", "5"];
    const a = await json([...args, "--search-seed", "7"]);
    const b = await json([...args, "--search-seed", "7"]);
    const c = await json([...args, "--search-seed", "8"]);
    expect(b.text).toBe(a.text);
    expect(a.result.search).toBe("random");
    expect(a.result.candidates).toBe(5);
    const drawn = (r: OptimizeResult) => r.ranked.map((row) => JSON.stringify(row.params)).sort();
    expect(new Set(drawn(a.result)).size).toBe(5);
    for (const row of a.result.ranked) {
      expect(row.params.fast).toBeGreaterThanOrEqual(2);
      expect(row.params.slow as number).toBeGreaterThanOrEqual(20);
    }
    // another seed, another sample (5 of 40 points: the same five by chance is 1 in 658,008)
    expect(drawn(c.result)).not.toEqual(drawn(a.result));
  });

  it("walks forward: the best in-sample candidate of each window, measured out of sample", async () => {
    // 1,000 s run from its first tick; in-sample 300 s, out-of-sample 200 s: windows start at
    // 0, 200 and 400 s (600 s + 500 s would end past the run)
    const { result } = await json([
      ...BASE,
      "--objective",
      "net-pnl",
      "--in-sample",
      "300000",
      "--out-of-sample",
      "200000",
    ]);
    const wf = result.walkForward!;
    const t0 = wf.windows[0]!.inSample.from;
    expect(wf.windows.map((w) => [w.inSample.from - t0, w.outOfSample.from - t0, w.outOfSample.to - t0])).toEqual([
      [0, 300_000, 500_000],
      [200_000, 500_000, 700_000],
      [400_000, 700_000, 900_000],
    ]);
    for (const w of wf.windows)
      expect(result.ranked.map((r) => JSON.stringify(r.params))).toContain(JSON.stringify(w.best));
    // the totals add up the windows, in micros
    const sum = wf.windows.reduce((s, w) => s + Math.round(w.figures.netPnl * 1e6), 0) / 1e6;
    expect(wf.outOfSample.netPnl).toBe(sum);
    expect(wf.outOfSample.maxDrawdown).toBe(Math.max(...wf.windows.map((w) => w.figures.maxDrawdown)));
  });

  it("prints a ranked table and writes a self-contained heat map", async () => {
    const dir = await mkdtemp(join(tmpdir(), "optimize-"));
    try {
      const file = join(dir, "heat.html");
      const { code, stdout } = await tickflow([...BASE, "--objective", "net-pnl", "--report", file]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^sma-crossover: grid of 6, 4 run, ranked by net-pnl\n/);
      expect(stdout).toMatch(/2 refused by the strategy's parameters, e\.g\. \{"fast":10,"slow":10\}/);
      expect(stdout).toMatch(/rank\s+fast\s+slow\s+net-pnl\s+net PnL\s+Sharpe\s+profit factor\s+max drawdown\s+fills/);
      const html = await readFile(file, "utf8");
      expect(html).not.toMatch(/https?:|src=|href=|<script/i);
      // 3 rows (fast) by 2 columns (slow): 4 coloured cells and 2 refused
      expect(html.match(/<td class="value"/g)).toHaveLength(4);
      expect(html.match(/<td class="none">refused/g)).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      ["--grid", "fats=1,2"],
      /--grid: unknown parameter "fats" for sma-crossover; valid parameters: interval, tradeNotional, allowShort, entryOrder, takeProfitBps, stopLossBps, takeProfitVol, stopLossVol, fast, slow/,
    ],
    [["--grid", "fast=9:1:1"], /--grid "fast=9:1:1": a range needs from <= to and a positive step/],
    [["--objective", "sortino"], /--objective: unknown "sortino"; objectives: sharpe, net-pnl, profit-factor/],
    [["--in-sample", "1000"], /--in-sample and --out-of-sample go together/],
    [["--in-sample", "900000", "--out-of-sample", "900000"], /shorter than one in-sample plus out-of-sample window/],
    [["--strategy", "momentum"], /unknown strategy "momentum"/],
  ])("exits 2 with a helpful message for %j", async (extra, message) => {
    const { code, stderr } = await tickflow([...BASE, ...extra]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe("tickflow optimize --help", () => {
  it("documents every option", async () => {
    const { code, stdout } = await tickflow(["optimize", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toBe(OPTIMIZE_HELP);
    const source = readFileSync(join(root, "packages/cli/src/commands/optimize.ts"), "utf8");
    const declared = [...source.matchAll(/^ {6}"?([a-z-]+)"?: \{ type: "(?:string|boolean)"/gm)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(15);
    for (const option of declared) expect(stdout).toContain(`--${option}`);
  });
});

describe("the heat map", () => {
  it("escapes the axes' values", () => {
    const hostile = `<img src=x onerror="alert(1)">`;
    const html = heatMapHtml({
      strategy: "sma-crossover",
      objective: "net-pnl",
      maxDrawdownBound: null,
      axes: [
        { name: "interval", values: ["1s", hostile] },
        { name: "fast", values: [5] },
      ],
      search: "grid",
      candidates: 1,
      skipped: [{ params: { interval: hostile, fast: 5 }, reason: "bad" }],
      ranked: [
        {
          rank: 1,
          params: { interval: "1s", fast: 5 },
          value: 12.5,
          excluded: false,
          figures: {
            netPnl: 12.5,
            fees: 1,
            fills: 2,
            trades: 0,
            sharpe: null,
            profitFactor: null,
            winRateNet: null,
            maxDrawdown: 0,
          },
        },
      ],
      walkForward: null,
    });
    expect(html).not.toContain("<img");
    expect(html).toContain("<th>&#60;img src=x onerror=&#34;alert(1)&#34;&#62;</th>");
    expect(html.match(/<td class="value"/g)).toHaveLength(1);
    expect(html.match(/<td class="none">refused/g)).toHaveLength(1);
  });
});
