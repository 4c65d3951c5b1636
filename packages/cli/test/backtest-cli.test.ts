import { mkdtemp, rm, writeFile } from "node:fs/promises";
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
    expect(s.fills).toBe(0);
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
      /bad params for sma-crossover: fast: fast must be shorter than slow; accepted params: interval, tradeNotional, allowShort, fast, slow/,
    ],
    [["--params", "{fast:"], /--params is not valid JSON/],
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
