import { describe, expect, it } from "vitest";
import {
  DEFAULT_START_TIME,
  parseReplayCsv,
  runBacktest,
  sharpeRatio,
  simulatedTicks,
  Universe,
  type EngineConfigInput,
  type EngineEvent,
} from "../src";

const universe = new Universe();
const engine: EngineConfigInput = {
  strategies: [{ id: "sma-crossover", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"] }],
};
const instruments = universe.select(["AAPL", "BTC-USD"]);

describe("backtest", () => {
  it("gives the same report, byte for byte, for the same inputs", () => {
    const a = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 42 }, 40_000) });
    const b = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 42 }, 40_000) });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.ticks).toBe(40_000);
    expect(a.firstTs).toBe(DEFAULT_START_TIME + 50);
  });

  it("reports PnL that adds up: equity = start + realized + unrealized - fees, and per symbol sums to the total", () => {
    const report = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 1 }, 60_000) });
    const [s] = report.strategies;
    expect(s!.fills).toBeGreaterThan(10);
    expect(s!.finalEquity).toBeCloseTo(s!.startingCash + s!.realizedPnl + s!.unrealizedPnl - s!.fees, 6);
    expect(s!.netPnl).toBeCloseTo(
      s!.symbols.reduce((sum, x) => sum + x.netPnl, 0),
      6,
    );
    expect(s!.fills).toBe(s!.orders);
    expect(s!.winRate).toBeGreaterThanOrEqual(0);
    expect(s!.winRate).toBeLessThanOrEqual(1);
    expect(s!.maxDrawdown).toBeGreaterThan(0);
    expect(s!.equityCurve.length).toBeGreaterThan(100);
    expect(s!.equityCurve.at(-1)!.equity).toBe(s!.finalEquity);
  });

  it("replays a CSV of the simulated ticks to the same fills and report", () => {
    const ticks = [...simulatedTicks({ instruments, seed: 5 }, 30_000)];
    const csv = [
      "symbol,tsEvent,bid,ask,bidSize,askSize",
      ...ticks.map((t) => [t.symbol, t.tsEvent, t.bid, t.ask, t.bidSize, t.askSize].join(",")),
    ];
    const fills = (source: Iterable<(typeof ticks)[number]>) => {
      const seen: EngineEvent[] = [];
      const report = runBacktest({
        engine,
        universe,
        ticks: source,
        onEvent: (e) => e.type === "order.filled" && seen.push(e),
      });
      return { report, seen };
    };
    const simulated = fills(ticks);
    const replayed = fills(parseReplayCsv(csv, universe));
    expect(replayed.seen).toEqual(simulated.seen);
    expect(replayed.report).toEqual(simulated.report);
  });

  it("reports progress while it runs", () => {
    const seen: number[] = [];
    runBacktest({
      engine,
      universe,
      ticks: simulatedTicks({ instruments, seed: 2 }, 2_500),
      onProgress: (n) => seen.push(n),
      progressEvery: 1_000,
    });
    expect(seen).toEqual([1_000, 2_000]);
  });
});

describe("Sharpe ratio", () => {
  it("annualises the mean over the deviation of period returns", () => {
    // returns +1%, -0.5%, +1%, -0.5%: mean 0.25%, sample sd 0.866%; daily periods
    const equity = [100, 101, 100.495, 101.49995, 100.9925];
    const expected = (0.0025 / 0.00866025) * Math.sqrt(365.25);
    expect(sharpeRatio(equity, 86_400_000)).toBeCloseTo(expected, 2);
  });

  it("is zero when there are too few points or no variation", () => {
    expect(sharpeRatio([100, 101], 1_000)).toBe(0);
    expect(sharpeRatio([100, 100, 100, 100], 1_000)).toBe(0);
  });
});
