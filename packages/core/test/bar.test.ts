import { describe, expect, it } from "vitest";
import { BarAggregator, INTERVAL_MS, type Bar } from "../src";
import { quote } from "./helpers";

function feed(agg: BarAggregator, rows: [number, number, number][]): Bar[] {
  const bars: Bar[] = [];
  rows.forEach(([ts, bid, ask], i) => {
    const bar = agg.update(quote("AAPL", i + 1, ts, bid, ask));
    if (bar) bars.push(bar);
  });
  return bars;
}

describe("time bars", () => {
  it("aggregates OHLC of the mid, quoted volume and tick count, epoch-aligned", () => {
    const agg = new BarAggregator("AAPL", "1s", 100);
    const bars = feed(agg, [
      [10_200, 100, 100.02], // mid 100.01 opens the bar [10000, 11000)
      [10_500, 100.1, 100.12], // high 100.11
      [10_999, 99.9, 99.92], // low 99.91, close
      [11_000, 100, 100.02], // exactly on the boundary: closes the bar and opens the next
    ]);
    expect(bars).toEqual([
      {
        symbol: "AAPL",
        interval: "1s",
        start: 10_000,
        end: 11_000,
        open: 100.01,
        high: 100.11,
        low: 99.91,
        close: 99.91,
        volume: 300,
        tickCount: 3,
        tsEvent: 11_000,
        tsInit: 11_000,
      },
    ]);
    expect(agg.state.current).toMatchObject({ start: 11_000, open: 100.01, tickCount: 1 });
  });

  it.each(["1s", "1m", "5m"] as const)("aligns %s bars to the epoch", (interval) => {
    const len = INTERVAL_MS[interval];
    const agg = new BarAggregator("AAPL", interval, 100);
    const [bar] = feed(agg, [
      [7 * len + 123, 1, 1.02],
      [8 * len + 5, 1, 1.02],
    ]);
    expect(bar).toMatchObject({ start: 7 * len, end: 8 * len });
  });

  it("emits no bars for intervals without ticks across a gap", () => {
    const agg = new BarAggregator("AAPL", "1s", 100);
    const bars = feed(agg, [
      [1_500, 10, 10.02],
      [5_200, 11, 11.02], // closes [1000,2000); 2000..5000 had no ticks
      [6_100, 12, 12.02],
    ]);
    expect(bars.map((b) => [b.start, b.end, b.open])).toEqual([
      [1_000, 2_000, 10.01],
      [5_000, 6_000, 11.01],
    ]);
  });

  it("keeps the close at the latest tick time when a tick arrives out of order within the bar", () => {
    const agg = new BarAggregator("AAPL", "1s", 100);
    const bars = feed(agg, [
      [1_100, 10, 10.02],
      [1_800, 12, 12.02], // latest in time
      [1_400, 9, 9.02], // earlier, arrives later: moves low, not close
      [2_000, 10, 10.02],
    ]);
    expect(bars[0]).toMatchObject({ open: 10.01, high: 12.01, low: 9.01, close: 12.01, tickCount: 3 });
  });

  it("counts a tick older than the open bar as late and leaves closed bars alone", () => {
    const agg = new BarAggregator("AAPL", "1s", 100);
    const bars = feed(agg, [
      [1_100, 10, 10.02],
      [2_100, 11, 11.02],
      [1_900, 50, 50.02], // belongs to a closed bar
      [3_000, 11, 11.02],
    ]);
    expect(agg.state.lateTicks).toBe(1);
    expect(bars.map((b) => b.high)).toEqual([10.01, 11.01]);
  });

  it("continues an open bar from a copy of its state", () => {
    const agg = new BarAggregator("AAPL", "1m", 100);
    feed(agg, [[60_500, 10, 10.02]]);
    const copy = new BarAggregator("AAPL", "1m", 100, JSON.parse(JSON.stringify(agg.state)));
    expect(copy.update(quote("AAPL", 2, 120_000, 11, 11.02))).toEqual(agg.update(quote("AAPL", 2, 120_000, 11, 11.02)));
  });
});
