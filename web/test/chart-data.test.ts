import { describe, expect, it } from "vitest";
import type { Fill, Signal } from "../src/api/types";
import {
  barStart,
  candles,
  chartMarkers,
  equityLines,
  eventsByBar,
  MAX_GAP_SLOTS,
  STRATEGY_COLORS,
  strategyColor,
} from "../src/charts/chart-data";
import { bars, fills, signals, T0 } from "./fixtures";

const seconds = (ms: number) => ms / 1_000;

/** A fill of another strategy: `breakout` sells 10 at 190.50. */
const breakoutSell = (tsEvent: number, fillNo = 1): Fill => ({
  ...fills[0]!,
  orderId: "breakout:1",
  strategyId: "breakout",
  side: "sell",
  fillNo,
  quantity: 10,
  price: 190.5,
  tsEvent,
});

describe("barStart", () => {
  it("snaps a time to the start of its epoch-aligned bar at each interval", () => {
    // T0 is 14:30:00 UTC, a multiple of 5 minutes
    expect(barStart(T0 + 61_500, "1s")).toBe(T0 + 61_000);
    expect(barStart(T0 + 61_500, "1m")).toBe(T0 + 60_000);
    expect(barStart(T0 + 61_500, "5m")).toBe(T0);
    // [start, end): the last ms is the bar's, the next one starts the next bar
    expect(barStart(T0 + 299_999, "5m")).toBe(T0);
    expect(barStart(T0 + 300_000, "5m")).toBe(T0 + 300_000);
  });
});

describe("candles", () => {
  it("puts a whitespace point at each missing bar start, so a gap breaks the series", () => {
    // 1m bars at 14:30, 14:31 and 14:34: 14:32 and 14:33 are missing
    const all = bars("AAPL", "1m", 5, 190);
    const gapped = [all[0]!, all[1]!, all[4]!];

    expect(candles(gapped, "1m")).toEqual([
      { time: seconds(T0), open: 190, high: 190.06, low: 189.98, close: 190.04 },
      expect.objectContaining({ time: seconds(T0 + 60_000), open: 190.05 }),
      { time: seconds(T0 + 120_000) },
      { time: seconds(T0 + 180_000) },
      expect.objectContaining({ time: seconds(T0 + 240_000), open: 190.2 }),
    ]);
  });

  it("adds nothing between consecutive bars", () => {
    expect(candles(bars("AAPL", "1s", 3, 190), "1s").map((c) => [c.time, "open" in c])).toEqual([
      [seconds(T0), true],
      [seconds(T0 + 1_000), true],
      [seconds(T0 + 2_000), true],
    ]);
  });

  it("marks a gap of more than MAX_GAP_SLOTS bars with a single whitespace point", () => {
    const [first] = bars("AAPL", "1s", 1, 190);
    const later = { ...first!, start: T0 + (MAX_GAP_SLOTS + 2) * 1_000, end: T0 + (MAX_GAP_SLOTS + 3) * 1_000 };

    expect(candles([first!, later], "1s").map((c) => c.time)).toEqual([
      seconds(T0),
      seconds(T0 + 1_000),
      seconds(T0 + (MAX_GAP_SLOTS + 2) * 1_000),
    ]);
  });
});

describe("eventsByBar", () => {
  it("at 5m puts every event of 14:30:00-14:34:59.999 on the 14:30 bar, oldest first", () => {
    const shown = bars("AAPL", "5m", 3, 190);
    const byBar = eventsByBar(shown, "5m", signals, [
      ...fills,
      breakoutSell(T0 + 299_999),
      breakoutSell(T0 + 300_000, 2),
    ]);

    expect([...byBar.keys()]).toEqual([T0, T0 + 300_000]);
    expect(byBar.get(T0)!.map((e) => [e.kind, e.strategyId, e.side, e.quantity, e.tsEvent])).toEqual([
      ["signal", "sma-crossover", "long", null, T0 + 1_010],
      ["fill", "sma-crossover", "buy", 30, T0 + 1_060],
      ["fill", "sma-crossover", "buy", 22, T0 + 1_310],
      ["signal", "sma-crossover", "short", null, T0 + 4_020],
      ["fill", "breakout", "sell", 10, T0 + 299_999],
    ]);
    expect(byBar.get(T0 + 300_000)!.map((e) => e.id)).toEqual(["breakout:1:2"]);
  });

  it("at 1m puts the same events on the 14:30 and 14:34 bars", () => {
    const byBar = eventsByBar(bars("AAPL", "1m", 6, 190), "1m", signals, [...fills, breakoutSell(T0 + 299_999)]);

    expect([...byBar].map(([start, events]) => [start, events.length])).toEqual([
      [T0, 4],
      [T0 + 240_000, 1],
    ]);
  });

  it("leaves out events of the bar still forming and before the first bar shown", () => {
    const shown = bars("AAPL", "1m", 2, 190);
    const late: Signal = { ...signals[0]!, signalId: "late", tsEvent: T0 + 120_000 };
    const early: Signal = { ...signals[0]!, signalId: "early", tsEvent: T0 - 1 };

    expect(eventsByBar(shown, "1m", [late, early], []).size).toBe(0);
  });

  it("keeps only the strategies of the filter", () => {
    const byBar = eventsByBar(
      bars("AAPL", "5m", 1, 190),
      "5m",
      signals,
      [...fills, breakoutSell(T0 + 5_000)],
      new Set(["breakout"]),
    );

    expect([...byBar.values()].flat().map((e) => e.strategyId)).toEqual(["breakout"]);
  });
});

describe("chartMarkers", () => {
  it("aggregates a bar's events per strategy and kind into one marker each, with a count, in the strategy's colour", () => {
    const second: Fill = { ...fills[1]!, fillNo: 3, quantity: 20, price: 190.52, tsEvent: T0 + 2_000 };
    const first: Fill = { ...fills[1]!, quantity: 30, price: 190 };
    const byBar = eventsByBar(bars("AAPL", "5m", 1, 190), "5m", signals, [first, second, breakoutSell(T0 + 3_000)]);

    const markers = chartMarkers(byBar);

    const sma = strategyColor("sma-crossover");
    // sma-crossover's long and short signal of the bar: one circle (mixed) over the bar
    expect(markers.map((m) => [m.time, m.position, m.shape, m.color, m.text])).toEqual([
      [seconds(T0), "aboveBar", "circle", sma, "2 signals"],
      [seconds(T0), "atPriceMiddle", "square", sma, "2 fills"],
      [seconds(T0), "atPriceMiddle", "square", strategyColor("breakout"), "S"],
    ]);
    // the two buys at their quantity-weighted price: (30 x 190 + 20 x 190.52) / 50 = 190.208
    const buys = markers[1]!;
    expect(buys.position === "atPriceMiddle" && buys.price).toBeCloseTo(190.208, 9);
  });

  it("counts several signals of one strategy and direction on a bar, the arrow still saying which way", () => {
    const more: Signal[] = [1, 2, 3].map((n) => ({ ...signals[1]!, signalId: `s${n}`, tsEvent: T0 + n * 1_000 }));

    expect(
      chartMarkers(eventsByBar(bars("AAPL", "1m", 1, 190), "1m", more, [])).map((m) => [m.shape, m.position, m.text]),
    ).toEqual([["arrowUp", "belowBar", "3 signals"]]);
  });

  it("orders markers by bar time, as the library expects", () => {
    const byBar = eventsByBar(bars("AAPL", "1s", 6, 190), "1s", signals, fills);

    expect(chartMarkers(byBar).map((m) => [m.time, m.text])).toEqual([
      [seconds(T0 + 1_000), "long"],
      [seconds(T0 + 1_000), "2 fills"],
      [seconds(T0 + 4_000), "short"],
    ]);
  });
});

describe("strategyColor", () => {
  it("gives each id the same palette colour every time", () => {
    expect(strategyColor("sma-crossover")).toBe(strategyColor("sma-crossover"));
    expect(STRATEGY_COLORS).toContain(strategyColor("mean-reversion"));
    expect(strategyColor("sma-crossover")).not.toBe(strategyColor("mean-reversion"));
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
