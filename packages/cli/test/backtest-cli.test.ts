import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BACKTEST_HELP } from "../src";
import { root, tickflow } from "./run-tickflow";

describe("tickflow backtest", () => {
  const args = [
    "backtest",
    "--strategy",
    "sma-crossover,mean-reversion",
    "--symbols",
    "AAPL,BTC-USD",
    "--seed",
    "42",
    "--ticks",
    "20000",
  ];

  it("prints the same JSON, byte for byte, for the same arguments, and nothing else on stdout", async () => {
    const a = await tickflow([...args, "--json"]);
    const b = await tickflow([...args, "--json"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const report = JSON.parse(a.stdout);
    expect(report.ticks).toBe(20_000);
    expect(report.strategies.map((s: { id: string }) => s.id)).toEqual(["sma-crossover", "mean-reversion"]);
    expect(report.strategies[0].symbols.map((s: { symbol: string }) => s.symbol)).toEqual(["AAPL", "BTC-USD"]);
  });

  it("gives a different report for a different seed", async () => {
    const a = await tickflow([...args, "--json"]);
    const b = await tickflow([...args.map((x) => (x === "42" ? "43" : x)), "--json"]);
    expect(a.stdout).not.toBe(b.stdout);
  });

  it("prints a readable table per strategy and symbol", async () => {
    const { code, stdout } = await tickflow(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Backtest over 20,000 ticks/);
    expect(stdout).toMatch(/sma-crossover \(1s bars\)/);
    expect(stdout).toMatch(/net PnL .* = {2}realized .* \+ unrealized .* - fees/);
    expect(stdout).toMatch(/symbol\s+fills\s+position\s+avg price\s+realized\s+unrealized\s+fees\s+net PnL/);
    expect(stdout).toMatch(/\n {2}BTC-USD /);
  });

  it("applies params and risk options", async () => {
    const { stdout } = await tickflow([
      "backtest",
      "--ticks",
      "20000",
      "--params",
      '{"fast":5,"slow":12}',
      "--max-position",
      "100",
      "--json",
    ]);
    const [s] = JSON.parse(stdout).strategies;
    expect(s.params).toMatchObject({ fast: 5, slow: 12 });
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.rejectedByReason).toEqual({ "max-position": s.rejected });
    expect(s.fills).toBe(0);
  });

  it("targets one strategy's parameters with --param and with --params keyed by strategy id", async () => {
    const run = async (extra: string[]) =>
      JSON.parse((await tickflow([...args, "--ticks", "2000", ...extra, "--json"])).stdout).strategies.map(
        (s: { params: Record<string, unknown> }) => s.params,
      );
    const [sma, meanReversion] = await run([
      "--params",
      '{"sma-crossover":{"fast":5,"slow":40},"mean-reversion":{"window":12}}',
      "--param",
      "sma-crossover.slow=12",
      "--param",
      'mean-reversion.interval="1m"',
    ]);
    // --param wins over --params; each strategy gets only its own
    expect(sma).toMatchObject({ fast: 5, slow: 12, interval: "1s" });
    expect(meanReversion).toMatchObject({ window: 12, interval: "1m" });
    expect(meanReversion).not.toHaveProperty("fast");
    // the flat form of before still works: a key goes to every strategy that accepts it
    const [flatSma, flatMr] = await run(["--params", '{"fast":4,"window":9,"tradeNotional":5000}']);
    expect(flatSma).toMatchObject({ fast: 4, tradeNotional: 5_000 });
    expect(flatSma).not.toHaveProperty("window");
    expect(flatMr).toMatchObject({ window: 9, tradeNotional: 5_000 });
  });

  it("prints the report's figures with their labels, units and periods", async () => {
    const { code, stdout } = await tickflow(args);
    expect(code).toBe(0);
    // 20,000 ticks over two symbols, 50 ms apart: 500 s, 8 whole minutes
    expect(stdout).toMatch(/max drawdown [\d.]+% \([\d,.]+\) from the highest equity since start/);
    expect(stdout).toMatch(/Sharpe n\/a: 8 periods, need 30 {3}Sortino n\/a: 8 periods, need 30/);
    expect(stdout).toMatch(
      /on 1m returns: 8 periods, not annualised \(hourly returns or coarser are\), risk-free rate 0/,
    );
    expect(stdout).toMatch(/win rate \(net of fees\) [\d.]+% {3}profit factor [\d.]+/);
    expect(stdout).toMatch(
      /buy and hold 20,000\.00 \(tradeNotional per symbol, mid to mid, no fees\): -?[\d,.]+ \([+-]?[\d.]+%\)/,
    );
    expect(stdout).toMatch(/turnover [\d.]+x starting cash/);
    expect(stdout).toMatch(
      /symbol\s+round trips\s+win rate \(net\)\s+profit factor\s+expectancy\s+exposure\s+turnover\s+buy & hold/,
    );
    expect(stdout).not.toMatch(/warning/);
  });

  it("adds the round trips, the equity curve and the sampled mids to --json", async () => {
    const report = JSON.parse((await tickflow([...args, "--json"])).stdout);
    for (const s of report.strategies) {
      expect(s.trades.length).toBeGreaterThan(0);
      expect(s.trades[0]).toMatchObject({
        tradeId: expect.stringMatching(new RegExp(`^${s.id}:`)),
        side: expect.stringMatching(/^(long|short)$/),
        entryTs: expect.any(Number),
        exitTs: expect.any(Number),
        netPnl: expect.any(Number),
        maxAdverseExcursion: expect.any(Number),
      });
      expect(s.equityCurve.length).toBeGreaterThan(100);
      expect(s.performance.returns).toMatchObject({ period: "1m", periods: 8 });
    }
    expect(report.prices.map((p: { symbol: string }) => p.symbol)).toEqual(["AAPL", "BTC-USD"]);
    expect(report.prices[0].points[0]).toEqual({ ts: expect.any(Number), mid: expect.any(Number) });
  });

  it("warns of a run shorter than a strategy's warm-up, on stderr beside --json", async () => {
    const { code, stdout, stderr } = await tickflow(["backtest", "--ticks", "1000", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).warnings).toHaveLength(1);
    expect(stderr).toMatch(/^warning: sma-crossover: the run has about 25 1s bars, fewer than its warm-up of 30/m);
    const text = await tickflow(["backtest", "--ticks", "1000"]);
    expect(text.stdout).toMatch(/\nwarning: sma-crossover: the run has about 25 1s bars/);
  });

  it("writes the HTML report, the same bytes for the same arguments", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    try {
      const [a, b] = [join(dir, "a.html"), join(dir, "b.html")];
      expect((await tickflow([...args, "--report", a])).code).toBe(0);
      expect((await tickflow([...args, "--report", b])).code).toBe(0);
      const html = await readFile(a, "utf8");
      expect(html).toBe(await readFile(b, "utf8"));
      expect(html).toMatch(/^<!doctype html>/);
      // self-contained: nothing to fetch
      expect(html).not.toMatch(/https?:|src=|href=|@import|url\(/i);
      expect(html.match(/<svg /g)).toHaveLength(2 * 2 + 2); // equity and drawdown per strategy, a price chart per symbol
      const bad = await tickflow([...args, "--report", join(dir, "no/such/dir/r.html")]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--report: cannot write/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("replays a CSV file through the same engine", async () => {
    const dir = await mkdtemp(join(tmpdir(), "replay-"));
    try {
      const file = join(dir, "ticks.csv");
      await writeFile(
        file,
        ["symbol,tsEvent,bid,ask,bidSize,askSize", "AAPL,1000,100,100.02,10,10", "AAPL,2000,100.1,100.12,10,10"].join(
          "\n",
        ),
      );
      const { code, stdout } = await tickflow(["backtest", "--replay", file, "--symbols", "AAPL", "--json"]);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ ticks: 2, firstTs: 1000, lastTs: 2000 });

      await writeFile(
        file,
        ["symbol,tsEvent,bid,ask,bidSize,askSize", "AAPL,1000,100,100.02,10,10", "AAPL,2000,oops,100.12,10,10"].join(
          "\n",
        ),
      );
      const bad = await tickflow(["backtest", "--replay", file, "--symbols", "AAPL"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(`tickflow: ${file}:3: bid: "oops" is not a number\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("replays a gzip Tardis quotes file with instruments from a file, and names the line of a bad row", async () => {
    const dir = await mkdtemp(join(tmpdir(), "replay-"));
    try {
      const instruments = join(dir, "instruments.json");
      await writeFile(
        instruments,
        JSON.stringify([{ symbol: "BTCUSDT", currency: "USD", priceIncrement: 0.01, sizeIncrement: 0.001 }]),
      );
      // 2,000 quotes 100 ms apart (200 s of 1 s bars): up 1.00 a quote for 1,000 quotes, then down,
      // so the SMA crossover goes long on the way up and reverses on the way down
      const start = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z in microseconds
      const row = (i: number, ask?: string) => {
        const bid = 42_000 + (i < 1_000 ? i : 2_000 - i);
        const ts = start + i * 100_000;
        return `binance-futures,BTCUSDT,${ts},${ts + 1_500},2.5,${ask ?? (bid + 0.01).toFixed(2)},${bid.toFixed(2)},1.25`;
      };
      const rows = Array.from({ length: 2_000 }, (_, i) => row(i));
      const header = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount";
      const file = join(dir, "binance-futures_quotes_2024-01-01_BTCUSDT.csv.gz");
      await writeFile(file, gzipSync([header, ...rows].join("\n")));
      const { code, stdout, stderr } = await tickflow([
        "backtest",
        "--replay",
        file,
        "--instruments",
        instruments,
        "--json",
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      // 1,999 quotes later: 199.9 s after the first
      expect(report).toMatchObject({ ticks: 2_000, firstTs: 1_704_067_200_000, lastTs: 1_704_067_399_900 });
      const [btc] = report.strategies[0].symbols;
      expect(btc.symbol).toBe("BTCUSDT");
      expect(btc.fills).toBeGreaterThan(0);

      rows[1_233] = row(1_233, "abc");
      await writeFile(file, gzipSync([header, ...rows].join("\n")));
      const bad = await tickflow(["backtest", "--replay", file, "--instruments", instruments]);
      expect(bad.code).toBe(2);
      // the header is line 1, so row 1,233 (from 0) is line 1,235
      expect(bad.stderr).toBe(`tickflow: ${file}:1235: ask_price: "abc" is not a number\n`);
      expect(bad.stdout).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      ["--strategy", "momentum"],
      /unknown strategy "momentum"; valid strategies: sma-crossover, mean-reversion, breakout/,
    ],
    [
      ["--symbols", "AAPL,NOPE"],
      /unknown symbol "NOPE"; valid symbols: AAPL, MSFT, TSLA, BTC-USD, ETH-USD, EUR-USD, GBP-USD/,
    ],
    [
      ["--params", '{"fast":50,"slow":10}'],
      /bad params for sma-crossover: fast: fast must be shorter than slow; accepted params: interval, tradeNotional, allowShort, entryOrder, takeProfitBps, stopLossBps, takeProfitVol, stopLossVol, fast, slow/,
    ],
    [["--params", "{fast:"], /--params is not valid JSON/],
    [
      ["--param", "sma-crossover.fats=5"],
      /--param "sma-crossover.fats=5": unknown parameter "fats" for sma-crossover; valid parameters: interval, tradeNotional, allowShort, entryOrder, takeProfitBps, stopLossBps, takeProfitVol, stopLossVol, fast, slow/,
    ],
    [
      ["--params", '{"sma-crossover":{"fats":5}}'],
      /--params: unknown parameter "fats" for sma-crossover; valid parameters: interval, tradeNotional, allowShort, entryOrder, takeProfitBps, stopLossBps, takeProfitVol, stopLossVol, fast, slow/,
    ],
    [
      ["--params", '{"fats":5}'],
      /--params: unknown parameter "fats"; valid parameters: sma-crossover: interval, tradeNotional, allowShort, entryOrder, takeProfitBps, stopLossBps, takeProfitVol, stopLossVol, fast, slow/,
    ],
    [
      ["--params", '{"sma-crossover":{"fast":5},"breakout":{}}'],
      /--params: "breakout" is not a strategy of this run; keyed by strategy id, it takes: sma-crossover/,
    ],
    [["--param", "breakout.window=5"], /"breakout" is not a strategy of this run; strategies: sma-crossover/],
    [["--param", "fast=5"], /--param "fast=5": expected <strategy>.<name>=<value>/],
    [["--ticks", "0"], /--ticks: "0" is not valid/],
    [["--replay", "/no/such/file.csv"], /no such file/],
    [["--replay-format", "csv"], /--replay-format: "csv" is not one of tickflow, tardis, databento/],
    [["--instruments", "/no/such/instruments.json"], /instruments file "\/no\/such\/instruments\.json" does not exist/],
    [["--frobnicate"], /Unknown option '--frobnicate'; run "tickflow backtest --help"/],
  ])("exits 2 with a helpful message for %j", async (extra, message) => {
    const { code, stderr, stdout } = await tickflow(["backtest", ...extra]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });

  it("documents every option in --help", async () => {
    const { code, stdout } = await tickflow(["backtest", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toBe(BACKTEST_HELP);
    const source = await import("node:fs").then((fs) =>
      fs.readFileSync(join(root, "packages/cli/src/commands/backtest.ts"), "utf8"),
    );
    const declared = [...source.matchAll(/^ {6}"?([a-z-]+)"?: \{ type: "(?:string|boolean)"/gm)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(10);
    for (const option of declared) expect(stdout).toContain(`--${option}`);
  });
});

describe("tickflow", () => {
  it("lists commands on --help and rejects an unknown one with exit 2", async () => {
    expect((await tickflow(["--help"])).stdout).toMatch(/backtest .*\n.*bench/s);
    const unknown = await tickflow(["frob"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frob"; commands: backtest, bench/);
  });
});
