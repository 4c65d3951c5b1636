import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
