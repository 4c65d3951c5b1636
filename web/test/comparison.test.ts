import { describe, expect, it } from "vitest";
import type { Portfolio } from "../src/api/types";
import { comparisonFrom, comparisonLine, reconcile, resample, sharpeRatio, winRate } from "../src/charts/comparison";
import { portfolio } from "./fixtures";

const MINUTE = 60_000;
/** 2025-11-26T00:00:00Z */
const DAY = 1_764_115_200_000;

describe("sharpeRatio", () => {
  it("is the mean over the sample deviation of minute-to-minute returns, not annualised", () => {
    // returns +10%, -10%, +10%: mean 1/30, variance (2 x (1/15)^2 + (2/15)^2) / 2 = 1/75,
    // so the ratio is (1/30) x sqrt(75) = sqrt(3) / 6 = 0.288675...
    const curve = [
      { ts: DAY + 5_000, equity: 100 },
      { ts: DAY + MINUTE + 5_000, equity: 110 },
      { ts: DAY + 2 * MINUTE + 5_000, equity: 99 },
      { ts: DAY + 3 * MINUTE + 5_000, equity: 108.9 },
    ];
    expect(sharpeRatio(curve)).toBeCloseTo(Math.sqrt(3) / 6, 12);
  });

  it("is the same for a 1s strategy sampled every second: only each minute's last equity counts", () => {
    const perSecond = [100, 110, 99, 108.9].flatMap((equity, minute) =>
      Array.from({ length: 60 }, (_, s) => ({
        ts: DAY + minute * MINUTE + s * 1_000,
        // every second but the minute's last is noise the ratio must not see
        equity: s === 59 ? equity : equity + (s % 2 === 0 ? 5 : -5),
      })),
    );
    expect(sharpeRatio(perSecond)).toBeCloseTo(Math.sqrt(3) / 6, 12);
  });

  it("has no ratio for a flat curve, or with fewer than two returns", () => {
    expect(sharpeRatio([])).toBeNull();
    expect(
      sharpeRatio([
        { ts: DAY, equity: 100 },
        { ts: DAY + MINUTE, equity: 101 },
      ]),
    ).toBeNull();
    expect(sharpeRatio([0, 1, 2, 3].map((m) => ({ ts: DAY + m * MINUTE, equity: 100 })))).toBeNull();
  });
});

describe("resample", () => {
  it("keeps each minute's last equity and carries it over minutes without a sample", () => {
    // 00:00:10 100 and 00:00:50 101 (the minute's last), nothing in 00:01, 00:02:05 102
    const curve = [
      { ts: DAY + 10_000, equity: 100 },
      { ts: DAY + 50_000, equity: 101 },
      { ts: DAY + 2 * MINUTE + 5_000, equity: 102 },
    ];
    expect(resample(curve, MINUTE)).toEqual([101, 101, 102]);
  });
});

describe("winRate", () => {
  it("is winning closing fills over closing fills, none before the first", () => {
    expect(winRate({ winningFills: 3, closingFills: 4 })).toBe(0.75);
    expect(winRate({ winningFills: 0, closingFills: 0 })).toBeNull();
  });
});

describe("reconcile", () => {
  const sample = (accounts: [string, number, number][], netPnl: number, fees: number): Portfolio => ({
    ...portfolio,
    netPnl,
    fees,
    strategies: accounts.map(([strategyId, net, fee]) => ({
      ...portfolio.strategies[0]!,
      strategyId,
      netPnl: net,
      fees: fee,
    })),
  });

  it("agrees when net PnL and fees sum to the portfolio's, to the cent", () => {
    // 10.50 - 3.25 = 7.25; 1.20 + 0.80 = 2.00; and 0.1 + 0.2 is 0.3 to the cent
    expect(
      reconcile(
        sample(
          [
            ["a", 10.5, 1.2],
            ["b", -3.25, 0.8],
          ],
          7.25,
          2,
        ),
        ["a", "b"],
      ),
    ).toEqual({
      ok: true,
      netPnlGap: 0,
      feesGap: 0,
      missing: [],
    });
    expect(
      reconcile(
        sample(
          [
            ["a", 0.1, 0.1],
            ["b", 0.2, 0.2],
          ],
          0.3,
          0.3,
        ),
        ["a", "b"],
      ).ok,
    ).toBe(true);
  });

  it("reports a cent's gap, and a running strategy the sample does not hold", () => {
    expect(
      reconcile(
        sample(
          [
            ["a", 10.5, 1.2],
            ["b", -3.25, 0.8],
          ],
          7.24,
          2.01,
        ),
        ["a", "b", "c"],
      ),
    ).toEqual({
      ok: false,
      netPnlGap: 0.01,
      feesGap: -0.01,
      missing: ["c"],
    });
  });

  it("finds the fixtures' half dollar: 68.58 - 5,222.90 = -5,154.32 against the portfolio's -5,154.82", () => {
    const check = reconcile(portfolio, ["sma-crossover", "mean-reversion"]);
    expect(check).toEqual({ ok: false, netPnlGap: 0.5, feesGap: 0, missing: [] });
  });
});

describe("comparisonLine", () => {
  it("draws net PnL, one point per chart second (the last sample of the second)", () => {
    const at = (ms: number, netPnl: number) => ({ ts: DAY + ms, netPnl });
    expect(comparisonLine([at(200, 1), at(900, 2), at(1_000, 3)])).toEqual([
      { time: DAY / 1_000, value: 2 },
      { time: DAY / 1_000 + 1, value: 3 },
    ]);
  });
});

describe("comparisonFrom", () => {
  it("starts two hours back, floored to 10 minutes", () => {
    // 14:37:12 - 2h = 12:37:12, floored to 12:30
    expect(comparisonFrom(DAY + 14 * 60 * MINUTE + 37 * MINUTE + 12_000)).toBe(DAY + 12 * 60 * MINUTE + 30 * MINUTE);
  });
});
