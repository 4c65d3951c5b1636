import { describe, expect, it } from "vitest";
import {
  breakout,
  meanReversion,
  parseStrategyParams,
  smaCrossover,
  STRATEGIES,
  strategyDefinition,
  type Bar,
  type SignalIntent,
  type StrategyContext,
  type StrategyDefinition,
} from "../src";

function bar(close: number, i: number, high = close, low = close): Bar {
  return {
    symbol: "AAPL",
    interval: "1s",
    start: i * 1000,
    end: (i + 1) * 1000,
    open: close,
    high,
    low,
    close,
    volume: 1,
    tickCount: 1,
    tsEvent: (i + 1) * 1000,
    tsInit: (i + 1) * 1000,
  };
}

/** Runs a strategy over closes (or [high, low, close] bars); returns the signals with the bar index. */
function run(definition: StrategyDefinition, params: unknown, bars: (number | [number, number, number])[]) {
  const strategy = definition.create(parseStrategyParams(definition, params), ["AAPL"]);
  const signals: (SignalIntent & { at: number })[] = [];
  let at = 0;
  const noOrders = () => {
    throw new Error("the built-in strategies act through signals only");
  };
  const ctx: StrategyContext = {
    signal: (s) => signals.push({ ...s, at }),
    position: () => 0,
    submitOrder: noOrders,
    cancelOrder: noOrders,
    replaceOrder: noOrders,
    workingOrders: () => [],
  };
  strategy.onStart(ctx);
  bars.forEach((b, i) => {
    at = i;
    strategy.onBar(typeof b === "number" ? bar(b, i) : bar(b[2], i, b[0], b[1]), ctx);
  });
  return { signals, strategy };
}

describe("strategy registry", () => {
  it("holds the three strategies by id and lists them when one is unknown", () => {
    expect([...STRATEGIES.keys()]).toEqual(["sma-crossover", "mean-reversion", "breakout"]);
    expect(() => strategyDefinition("momentum")).toThrow(
      /unknown strategy "momentum"; valid strategies: sma-crossover, mean-reversion, breakout/,
    );
  });

  it("applies defaults and rejects bad parameters naming the field and the accepted ones", () => {
    expect(parseStrategyParams(smaCrossover, { fast: 5 })).toEqual({
      interval: "1s",
      tradeNotional: 10_000,
      allowShort: true,
      entryOrder: "market",
      fast: 5,
      slow: 30,
    });
    expect(parseStrategyParams(meanReversion, {})).toMatchObject({ entryOrder: "limit" });
    expect(parseStrategyParams(breakout, {})).toMatchObject({ entryOrder: "stop" });
    expect(() => parseStrategyParams(smaCrossover, { fast: 50, slow: 10 })).toThrow(
      /fast: fast must be shorter than slow/,
    );
    expect(() => parseStrategyParams(smaCrossover, { interval: "2m" })).toThrow(
      /interval: .*accepted params: interval, tradeNotional, allowShort, entryOrder, takeProfitBps, stopLossBps, takeProfitVol, stopLossVol, fast, slow/,
    );
    expect(() => parseStrategyParams(meanReversion, { entryZ: 1, exitZ: 2 })).toThrow(/exitZ must be below entryZ/);
  });
});

describe("sma-crossover", () => {
  it("warms up for `slow` bars, then signals only on crosses", () => {
    // fast=2, slow=3: falling, then rising (cross above), then falling (cross below)
    const { signals } = run(smaCrossover, { fast: 2, slow: 3 }, [10, 9, 8, 7, 8, 9, 10, 9, 8, 7]);
    expect(signals.map((s) => [s.at, s.direction])).toEqual([
      [5, "long"], // closes 7,8,9: SMA2 8.5 > SMA3 8 (at bar 4, closes 8,7,8: SMA2 7.5 < SMA3 7.67)
      [8, "short"], // closes 10,9,8: SMA2 8.5 < SMA3 9
    ]);
    expect(signals[0]!.indicators).toEqual({ fast: 8.5, slow: 8 });
  });

  it("goes flat instead of short when shorting is not allowed", () => {
    const { signals } = run(smaCrossover, { fast: 2, slow: 3, allowShort: false }, [10, 9, 8, 7, 8, 9, 10, 9, 8, 7]);
    expect(signals.map((s) => s.direction)).toEqual(["long", "flat"]);
  });
});

describe("mean-reversion", () => {
  it("fades a move beyond the band and exits near the mean", () => {
    const closes = [100, 100.1, 99.9, 100, 100.1, 99.9, 100, 100.1, 99.9, 100];
    const { signals } = run(meanReversion, { window: 10, entryZ: 2, exitZ: 0.5 }, [
      ...closes,
      101.5,
      100.9,
      100.2,
      98.5,
      100.5,
    ]);
    expect(signals.map((s) => [s.at, s.direction])).toEqual([
      [10, "short"], // 101.5 is far above the band
      [12, "flat"], // 100.9 still beyond 0.5 sigma holds; 100.2 is back within
      [13, "long"], // 98.5 far below
      [14, "flat"],
    ]);
    expect(signals[0]!.indicators.z).toBeGreaterThan(2);
    // the limit entry goes at the band the close broke: mean + entryZ·σ
    const { mean, sigma } = signals[0]!.indicators;
    expect(signals[0]!.entryPrice).toBeCloseTo(mean! + 2 * sigma!, 5);
    expect(signals[0]!.volatility).toBeCloseTo(sigma!, 5);
  });

  it("never signals on a flat market (zero deviation)", () => {
    expect(run(meanReversion, { window: 5 }, Array(20).fill(100)).signals).toEqual([]);
  });
});

describe("breakout", () => {
  it("goes long above the prior window high, exits below the exit channel, then shorts below the window low", () => {
    const bars: [number, number, number][] = [
      [101, 99, 100],
      [101, 99, 100],
      [101, 99, 100],
      [103, 100, 102.5], // close above 101: long
      [103, 102, 102.8],
      [103, 101, 101.5],
      [102, 100.2, 100.5], // below the 2-bar exit low 101, above the 3-bar low 100: flat
      [99, 97, 97.5], // below the 3-bar low 100.2: short
    ];
    const { signals } = run(breakout, { window: 3, exitWindow: 2 }, bars);
    expect(signals.map((s) => [s.at, s.direction])).toEqual([
      [3, "long"],
      [6, "flat"],
      [7, "short"],
    ]);
    // the stop entry goes at the channel that broke; volatility is half the channel's width
    expect(signals[0]).toMatchObject({ entryPrice: 101, volatility: 1 });
    expect(signals[2]!.entryPrice).toBe(100.2);
    expect(signals[2]!.volatility).toBeCloseTo(1.4, 9);
  });

  it("keeps its whole state as JSON that round-trips", () => {
    const { strategy } = run(breakout, { window: 3, exitWindow: 2 }, [100, 101, 102, 103]);
    expect(JSON.parse(JSON.stringify(strategy.state))).toEqual(strategy.state);
  });
});

describe("warm-up", () => {
  // Each series is built to signal as early as the strategy can: the first signal comes on the bar
  // right after the warm-up (0-based index = warmupBars), and no series can make one sooner.
  it.each([
    // fast 2, slow 3: bars 0..2 fill the slow window (SMA2 8.5 < SMA3 9 sets the side), bar 3 at 20 crosses: 14 > 12.33
    [smaCrossover, { fast: 2, slow: 3 }, [10, 9, 8, 20], 3],
    // window 3, entryZ 1: bar 2 fills the window; 20 vs mean 13.33 and σ 4.71 is z 1.41
    [meanReversion, { window: 3, entryZ: 1, exitZ: 0.5 }, [10, 10, 20], 2],
    // window 3: bars 0..2 make the channel [10, 10], bar 3 closes above it
    [breakout, { window: 3, exitWindow: 1 }, [10, 10, 10, 11], 3],
  ] as const)(
    "%#: declares the bars it needs before its first possible signal",
    (definition, params, closes, warmup) => {
      const d = definition as unknown as StrategyDefinition;
      expect(d.warmupBars(parseStrategyParams(d, params))).toBe(warmup);
      expect(run(d, params, [...closes]).signals.map((s) => s.at)).toEqual([warmup]);
      // a jumpy series signals often, never before the warm-up is over
      const jumpy = Array.from({ length: 40 }, (_, i) => 100 + ((i * 37) % 11) * (i % 2 === 0 ? 1 : -1));
      const at = run(d, params, jumpy).signals.map((s) => s.at);
      expect(at.length).toBeGreaterThan(0);
      expect(Math.min(...at)).toBeGreaterThanOrEqual(warmup);
    },
  );

  it("follows the parameters", () => {
    expect(smaCrossover.warmupBars(parseStrategyParams(smaCrossover, {}) as never)).toBe(30);
    expect(meanReversion.warmupBars(parseStrategyParams(meanReversion, { window: 50 }) as never)).toBe(49);
    expect(breakout.warmupBars(parseStrategyParams(breakout, { window: 20, exitWindow: 5 }) as never)).toBe(20);
  });
});
