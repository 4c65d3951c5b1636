import { describe, expect, it } from "vitest";
import type { Signal } from "../src/api/types";
import { chartMarkers, equityLines } from "../src/charts/chart-data";
import { DOWN, UP } from "../src/charts/create-chart";
import { bars, fills, signals, T0 } from "./fixtures";

const seconds = (ms: number) => ms / 1_000;

describe("chartMarkers", () => {
  it("puts each signal and fill on the start of the bar whose [start, end) holds it, in time order", () => {
    const markers = chartMarkers(bars("AAPL", "1s", 6, 190), signals, fills);

    expect(markers.map((m) => [m.time, m.id, m.text])).toEqual([
      [seconds(T0 + 1_000), "sma-crossover:AAPL:2", "long"],
      [seconds(T0 + 1_000), "sma-crossover:3:2", "B"],
      [seconds(T0 + 1_000), "sma-crossover:3:1", "B"],
      [seconds(T0 + 4_000), "sma-crossover:AAPL:3", "short"],
    ]);
  });

  it("marks nothing for events after the last closed bar or before the first", () => {
    const shown = bars("AAPL", "1m", 2, 190);
    const late: Signal = { ...signals[0]!, signalId: "late", tsEvent: T0 + 120_000 };
    const early: Signal = { ...signals[0]!, signalId: "early", tsEvent: T0 - 1 };

    expect(chartMarkers(shown, [late, early], [])).toEqual([]);
  });

  it("marks a fill at its price, green B for a buy and red S for a sell", () => {
    const sell = {
      ...fills[0]!,
      orderId: "sma-crossover:9",
      side: "sell" as const,
      price: 190.33,
      tsEvent: T0 + 2_500,
    };

    const markers = chartMarkers(bars("AAPL", "1s", 6, 190), [], [fills[0]!, sell]);

    expect(markers.map((m) => [m.time, m.text, m.color, m.position === "atPriceMiddle" && m.price])).toEqual([
      [seconds(T0 + 1_000), "B", UP, 190.07],
      [seconds(T0 + 2_000), "S", DOWN, 190.33],
    ]);
  });
});

describe("equityLines", () => {
  it("keeps the last point of each second and draws drawdown as a negative percentage", () => {
    const lines = equityLines([
      { ts: T0 + 100, equity: 100_000, drawdown: 0 },
      { ts: T0 + 900, equity: 99_000, drawdown: 0.01 },
      { ts: T0 + 1_000, equity: 99_500, drawdown: 0.005 },
    ]);

    expect(lines.equity).toEqual([
      { time: seconds(T0), value: 99_000 },
      { time: seconds(T0 + 1_000), value: 99_500 },
    ]);
    expect(lines.drawdown).toEqual([
      { time: seconds(T0), value: -1 },
      { time: seconds(T0 + 1_000), value: -0.5 },
    ]);
  });
});
