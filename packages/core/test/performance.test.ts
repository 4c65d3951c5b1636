import { describe, expect, it } from "vitest";
import {
  buyAndHold,
  drawdownStats,
  resampledReturns,
  returnPeriod,
  sharpe,
  sortino,
  strategyPerformance,
  timeInMarket,
  toMicros,
  tradeStats,
  type ClosedTrade,
} from "../src";

const MIN = 60_000;

function trade(t: Partial<ClosedTrade> & Pick<ClosedTrade, "grossPnl" | "fees" | "netPnl">): ClosedTrade {
  const entryTs = t.entryTs ?? 0;
  const exitTs = t.exitTs ?? entryTs + 1_000;
  return {
    symbol: "AAPL",
    side: "long",
    quantity: 10,
    entryPrice: 100,
    exitPrice: 101,
    maxAdverseExcursion: 0,
    maxFavorableExcursion: 0,
    ...t,
    entryTs,
    exitTs,
    holdingMs: exitTs - entryTs,
  };
}

// Three round trips over a 100 s run:
//   T1 AAPL long  10 @ 100 -> 102, 0 s .. 10 s:  gross 20,  fees 0.2, net 19.8
//   T2 AAPL short 10 @ 103 -> 104, 20 s .. 30 s: gross -10, fees 0.2, net -10.2
//   T3 BTC  long 0.1 @ 50000 -> 50100, 5 s .. 25 s: gross 10, fees 1, net 9
const T1 = trade({
  entryPrice: 100,
  exitPrice: 102,
  entryTs: 0,
  exitTs: 10_000,
  grossPnl: 20,
  fees: 0.2,
  netPnl: 19.8,
});
const T2 = trade({
  side: "short",
  entryPrice: 103,
  exitPrice: 104,
  entryTs: 20_000,
  exitTs: 30_000,
  grossPnl: -10,
  fees: 0.2,
  netPnl: -10.2,
});
const T3 = trade({
  symbol: "BTC-USD",
  quantity: 0.1,
  entryPrice: 50_000,
  exitPrice: 50_100,
  entryTs: 5_000,
  exitTs: 25_000,
  grossPnl: 10,
  fees: 1,
  netPnl: 9,
});
// traded notional, both legs: AAPL 10·100 + 10·102 + 10·103 + 10·104 = 4,090; BTC 0.1·50,000 + 0.1·50,100 = 10,010
const NOTIONAL = { AAPL: toMicros(4_090), "BTC-USD": toMicros(10_010) };

describe("trade figures", () => {
  it("sums money exactly and counts wins, losses and averages net of fees", () => {
    const s = tradeStats([T1, T2, T3], 100_000, toMicros(100_000), NOTIONAL.AAPL + NOTIONAL["BTC-USD"]);
    // net 19.8 - 10.2 + 9 = 18.6 (0.1 + 0.2 style float error would show here without micros); fees 0.2 + 0.2 + 1 = 1.4
    expect(s).toMatchObject({ trades: 3, wins: 2, losses: 1, netPnl: 18.6, grossPnl: 20, fees: 1.4 });
    expect(s.winRateNet).toBe(2 / 3);
    // winning net 19.8 + 9 = 28.8 over losing 10.2
    expect(s.profitFactor).toBeCloseTo(28.8 / 10.2, 12);
    expect(s.averageWin).toBe(14.4); // 28.8 / 2
    expect(s.averageLoss).toBe(-10.2);
    expect(s.expectancy).toBe(6.2); // 18.6 / 3
    // in the market [0, 10 s] ∪ [5 s, 25 s] ∪ [20 s, 30 s] = [0, 30 s] of 100 s
    expect(s.exposure).toBe(0.3);
    // (4,090 + 10,010) / 100,000
    expect(s.turnover).toBe(0.141);
  });

  it("calls a trade that made money before fees but lost after them a loss", () => {
    // gross +0.1, fees 0.2: net -0.1
    const s = tradeStats([trade({ grossPnl: 0.1, fees: 0.2, netPnl: -0.1 })], 10_000, toMicros(1_000), 0);
    expect(s).toMatchObject({ wins: 0, losses: 1, winRateNet: 0, profitFactor: 0, averageWin: null });
  });

  it("has no ratio where there is nothing to divide by", () => {
    expect(tradeStats([], 10_000, toMicros(1_000), 0)).toMatchObject({
      trades: 0,
      winRateNet: null,
      profitFactor: null,
      averageWin: null,
      averageLoss: null,
      expectancy: null,
      exposure: 0,
      turnover: 0,
    });
    // only winners: no losing sum to divide by
    expect(tradeStats([T1], 100_000, toMicros(1_000), 0).profitFactor).toBeNull();
  });

  it("counts overlapping time in the market once", () => {
    // [0, 10] ∪ [5, 25] ∪ [20, 30] = 30 s; [40, 40] adds nothing
    expect(
      timeInMarket([T3, T2, T1, trade({ entryTs: 40_000, exitTs: 40_000, grossPnl: 0, fees: 0, netPnl: 0 })]),
    ).toBe(30_000);
    expect(timeInMarket([])).toBe(0);
  });
});

describe("drawdown from the highest equity since start", () => {
  // equity 100 at 0; then per minute 110, 99, 104, 115, 102, 116
  const curve = [110, 99, 104, 115, 102, 116].map((equity, i) => ({ ts: (i + 1) * MIN, equity }));

  it("finds the largest fall, its peak, trough, recovery and duration", () => {
    // falls: 110 -> 99 is 11/110 = 10%; 115 -> 102 is 13/115 = 11.304%: the second is the largest,
    // from its peak at 4 min to its trough at 5 min, recovered at 6 min (116 >= 115): 2 minutes
    expect(drawdownStats(curve, 100, 0, 7 * MIN)).toEqual({
      maxDrawdown: 13 / 115,
      maxDrawdownAmount: 13,
      peakTs: 4 * MIN,
      troughTs: 5 * MIN,
      recoveredTs: 6 * MIN,
      durationMs: 2 * MIN,
    });
  });

  it("runs an unrecovered fall to the end of the run, and measures from the starting cash", () => {
    // 100 at 0 is the peak; 95 at 1 min; 97 at 2 min; run ends at 10 min: 5%, 10 minutes under water
    const dd = drawdownStats(
      [
        { ts: MIN, equity: 95 },
        { ts: 2 * MIN, equity: 97 },
      ],
      100,
      0,
      10 * MIN,
    );
    expect(dd).toEqual({
      maxDrawdown: 0.05,
      maxDrawdownAmount: 5,
      peakTs: 0,
      troughTs: MIN,
      recoveredTs: null,
      durationMs: 10 * MIN,
    });
  });

  it("is zero for equity that never falls", () => {
    expect(drawdownStats([{ ts: MIN, equity: 100 }], 100, 0, MIN)).toMatchObject({ maxDrawdown: 0, durationMs: 0 });
  });
});

describe("Sharpe and Sortino on per-period returns", () => {
  // 30 returns alternating +1%, -0.5%
  const returns = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 0.01 : -0.005));

  it("Sharpe: mean over sample standard deviation, times the annualisation factor", () => {
    // mean 0.25%; each deviation is ±0.75%, so variance 30·0.0075² / 29 and sd 0.0075·√(30/29);
    // 0.0025 / (0.0075·√(30/29)) = (1/3)·√(29/30) = 0.327731; times √525,960 (1-minute periods) = 237.68
    const figure = sharpe(returns, Math.sqrt(525_960));
    expect(figure.note).toBeNull();
    expect(figure.perPeriod).toBeCloseTo((1 / 3) * Math.sqrt(29 / 30), 12);
    expect(figure.value).toBeCloseTo((1 / 3) * Math.sqrt(29 / 30) * Math.sqrt(525_960), 9);
    expect(figure.value).toBeCloseTo(237.68, 2);
  });

  it("Sortino: mean over the downside deviation, the root mean square of the losing returns over every period", () => {
    // downside: 15 returns of -0.5% and 15 of 0: √(15·0.000025 / 30) = 0.005/√2; 0.0025 / (0.005/√2) = √2/2
    const figure = sortino(returns, 1);
    expect(figure.value).toBeCloseTo(Math.SQRT2 / 2, 12);
    // annualised over daily periods: √2/2 · √365.25 = 13.5139
    expect(sortino(returns, Math.sqrt(365.25)).value).toBeCloseTo(13.5139, 4);
  });

  it("says n/a instead of a number for a run too short, and for flat or never-losing equity", () => {
    const na = (note: string) => ({ value: null, perPeriod: null, note });
    expect(sharpe(returns.slice(0, 12), 1)).toEqual(na("n/a: 12 periods, need 30"));
    expect(sortino(returns.slice(0, 29), 1)).toEqual(na("n/a: 29 periods, need 30"));
    expect(sharpe(new Array(30).fill(0), 1)).toEqual(na("n/a: equity did not move"));
    expect(sortino(new Array(30).fill(0.001), 1)).toEqual(na("n/a: no losing period"));
  });

  it("resamples to the coarsest period with at least 30 whole periods in the run", () => {
    // 83 minutes: 0 days, 1 hour, 83 minutes -> 1m; a year of minutes is 365.25·24·60 = 525,960
    expect(returnPeriod(83 * MIN)).toEqual({
      period: "1m",
      periodMs: MIN,
      periods: 83,
      periodsPerYear: 525_960,
      annualisation: Math.sqrt(525_960),
      // minutes are never scaled to a year
      annualised: false,
    });
    expect(returnPeriod(45 * 86_400_000)).toMatchObject({
      period: "1d",
      periods: 45,
      periodsPerYear: 365.25,
      annualised: true,
    });
    expect(returnPeriod(30 * 3_600_000)).toMatchObject({ period: "1h", periods: 30, annualised: true });
    // 29 minutes: too few minutes, and nothing finer is used
    expect(returnPeriod(29 * MIN + 59_999)).toMatchObject({ period: "1m", periods: 29 });
    expect(returnPeriod(12_000)).toMatchObject({ period: "1m", periods: 0 });
  });

  it("takes equity at each boundary from the last sample at or before it", () => {
    // start 100; samples 101 @ 0.5 min, 102 @ 1.2 min, 100.98 @ 3.9 min; boundaries at 1..4 min:
    // 101, 102, 102, 100.98 -> +1%, 102/101 - 1, 0, 100.98/102 - 1 = -1%
    const curve = [
      { ts: 0.5 * MIN, equity: 101 },
      { ts: 1.2 * MIN, equity: 102 },
      { ts: 3.9 * MIN, equity: 100.98 },
    ];
    const r = resampledReturns(curve, 100, 0, MIN, 4);
    expect(r).toHaveLength(4);
    expect(r[0]).toBeCloseTo(0.01, 15);
    expect(r[1]).toBeCloseTo(102 / 101 - 1, 15);
    expect(r[2]).toBe(0);
    expect(r[3]).toBeCloseTo(-0.01, 15);
  });
});

describe("buy-and-hold benchmark", () => {
  it("holds the notional from the first to the last mid without fees", () => {
    // 10,000 at 200 -> 210: +5%, 500
    expect(buyAndHold({ symbol: "AAPL", firstMid: 200, lastMid: 210 }, 10_000)).toEqual({
      symbol: "AAPL",
      notional: 10_000,
      firstMid: 200,
      lastMid: 210,
      pnl: 500,
      return: 0.05,
    });
  });
});

describe("a strategy's figures", () => {
  it("puts trade figures per symbol and in total next to the equity figures and the benchmark", () => {
    // 40 minutes of equity: +1% and -0.5% alternately each minute from 100,000
    let equity = 100_000;
    const curve = Array.from({ length: 40 }, (_, i) => {
      equity = Math.round(equity * (i % 2 === 0 ? 1.01 : 0.995) * 1e6) / 1e6;
      return { ts: (i + 1) * MIN, equity };
    });
    const p = strategyPerformance({
      startingCash: 100_000,
      startTs: 0,
      endTs: 40 * MIN,
      equityCurve: curve,
      trades: [T1, T2, T3],
      symbols: ["AAPL", "BTC-USD", "ETH-USD"],
      tradedNotional: NOTIONAL,
      benchmarks: [
        { symbol: "AAPL", firstMid: 200, lastMid: 210 },
        // 3% down: 10,000 · -0.03 = -300
        { symbol: "BTC-USD", firstMid: 50_000, lastMid: 48_500 },
      ],
      benchmarkNotional: 10_000,
    });
    expect(p).toMatchObject({ trades: 3, netPnl: 18.6, runMs: 40 * MIN });
    expect(p.symbols.map((s) => [s.symbol, s.trades, s.netPnl, s.exposure])).toEqual([
      // AAPL in the market 20 s of 2,400 s, BTC 20 s
      ["AAPL", 2, 9.6, 20_000 / (40 * MIN)],
      ["BTC-USD", 1, 9, 20_000 / (40 * MIN)],
      ["ETH-USD", 0, 0, 0],
    ]);
    expect(p.symbols[2]!.benchmark).toBeNull();
    // two symbols held: 500 - 300 = 200 on 20,000
    expect(p.benchmark).toEqual({ notional: 20_000, pnl: 200, return: 0.01 });
    expect(p.returns).toMatchObject({ period: "1m", periods: 40 });
    // the same alternation as above, over 40 returns: Sortino √2/2 per period (up to the micro rounding of equity),
    // not annualised from 40 minutes, and the note says so with the per-period figure
    expect(p.sortino.perPeriod!).toBeCloseTo(Math.SQRT2 / 2, 5);
    expect(p.sortino.value).toBeNull();
    expect(p.sortino.note).toBe("0.7071 per 1m, not annualised: 40 1m periods, need 30 hours");
    expect(p.sharpe).toMatchObject({ value: null, perPeriod: expect.any(Number) });
    expect(p.drawdown.maxDrawdown).toBeCloseTo(0.005, 9);
  });
});
