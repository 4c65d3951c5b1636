import { describe, expect, it } from "vitest";
import {
  gridCandidates,
  gridSize,
  parseAxis,
  randomCandidates,
  rank,
  walkForwardWindows,
  type RunFigures,
} from "../src";

describe("search axes", () => {
  it("reads inclusive ranges and lists", () => {
    expect(parseAxis("fast=5:20:5")).toEqual({ name: "fast", values: [5, 10, 15, 20] });
    // 0.1 + 2·0.1 is 0.30000000000000004 in doubles: rounded back to 0.3
    expect(parseAxis("entryZ=0.1:0.3:0.1").values).toEqual([0.1, 0.2, 0.3]);
    expect(parseAxis("slow=30:40:7").values).toEqual([30, 37]);
    expect(parseAxis("interval=1s,1m").values).toEqual(["1s", "1m"]);
    expect(parseAxis("allowShort=true,false").values).toEqual([true, false]);
  });

  it("says what it expected of a bad one", () => {
    expect(() => parseAxis("fast")).toThrow(/expected name=from:to:step or name=a,b,c/);
    expect(() => parseAxis("fast=20:5:5")).toThrow(/from <= to and a positive step/);
    expect(() => parseAxis("fast=1:100000:1")).toThrow(/100000 points, at most 10000/);
    expect(() => parseAxis("fast=5,5")).toThrow(/listed twice/);
  });
});

describe("candidates", () => {
  const axes = [parseAxis("fast=5,10"), parseAxis("slow=20:40:10")];

  it("walks the grid with the last axis fastest", () => {
    expect(gridSize(axes)).toBe(6);
    expect(gridCandidates(axes)).toEqual([
      { fast: 5, slow: 20 },
      { fast: 5, slow: 30 },
      { fast: 5, slow: 40 },
      { fast: 10, slow: 20 },
      { fast: 10, slow: 30 },
      { fast: 10, slow: 40 },
    ]);
  });

  it("draws distinct grid points from the seed, the same ones for the same seed", () => {
    const a = randomCandidates(axes, 4, "s1");
    expect(a).toHaveLength(4);
    expect(new Set(a.map((c) => JSON.stringify(c))).size).toBe(4);
    for (const c of a) expect(gridCandidates(axes)).toContainEqual(c);
    expect(randomCandidates(axes, 4, "s1")).toEqual(a);
    // asking for more than the grid has gives the whole grid, shuffled
    const all = randomCandidates(axes, 50, "s1");
    expect([...all].map((c) => JSON.stringify(c)).sort()).toEqual(
      gridCandidates(axes)
        .map((c) => JSON.stringify(c))
        .sort(),
    );
    // seeds that differ draw differently (one of 720 orders each: the odds of all five alike are nil)
    const orders = new Set(["s2", "s3", "s4", "s5", "s6"].map((s) => JSON.stringify(randomCandidates(axes, 6, s))));
    expect(orders.size).toBeGreaterThan(1);
    // a grid of 10^12 points costs only what is drawn
    const huge = [parseAxis("a=1:10000:1"), parseAxis("b=1:10000:1"), parseAxis("c=1:10000:1")];
    expect(randomCandidates(huge, 3, "s1")).toHaveLength(3);
  });
});

describe("walk-forward windows", () => {
  it("rolls in-sample and out-of-sample by the out-of-sample length, whole windows only", () => {
    // run 0..100, in-sample 40, out-of-sample 20: starts at 0, 20, 40 (60 + 60 = 120 is past the end)
    expect(walkForwardWindows(0, 100, 40, 20)).toEqual([
      { inSample: { from: 0, to: 40 }, outOfSample: { from: 40, to: 60 } },
      { inSample: { from: 20, to: 60 }, outOfSample: { from: 60, to: 80 } },
      { inSample: { from: 40, to: 80 }, outOfSample: { from: 80, to: 100 } },
    ]);
    expect(walkForwardWindows(0, 50, 40, 20)).toEqual([]);
    expect(() => walkForwardWindows(0, 50, 0, 20)).toThrow(/positive/);
  });
});

describe("ranking", () => {
  const figures = (f: Partial<RunFigures>): RunFigures => ({
    netPnl: 0,
    fees: 0,
    fills: 0,
    trades: 0,
    sharpe: null,
    profitFactor: null,
    winRateNet: null,
    maxDrawdown: 0,
    ...f,
  });
  const items = [
    { name: "a", figures: figures({ netPnl: 10, sharpe: 1.5, maxDrawdown: 0.02 }) },
    { name: "b", figures: figures({ netPnl: 30, sharpe: null, maxDrawdown: 0.01 }) },
    { name: "c", figures: figures({ netPnl: 50, sharpe: 2, maxDrawdown: 0.2 }) },
    { name: "d", figures: figures({ netPnl: 10, sharpe: 0.5, maxDrawdown: 0.03 }) },
  ];

  it("ranks by the objective, a missing value last, ties in the order given", () => {
    expect(rank(items, "sharpe", null).map((r) => r.item.name)).toEqual(["c", "a", "d", "b"]);
    // a and d tie on 10: a was first
    expect(rank(items, "net-pnl", null).map((r) => [r.item.name, r.value])).toEqual([
      ["c", 50],
      ["b", 30],
      ["a", 10],
      ["d", 10],
    ]);
  });

  it("puts candidates beyond the drawdown bound after every one within it", () => {
    const ranked = rank(items, "net-pnl", 0.1);
    expect(ranked.map((r) => [r.item.name, r.excluded])).toEqual([
      ["b", false],
      ["a", false],
      ["d", false],
      ["c", true],
    ]);
  });
});
