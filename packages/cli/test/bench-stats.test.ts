import { describe, expect, it } from "vitest";
import { summarizeLatencies } from "../src/bench/stats";
import { meetsAim, type StreamRun } from "../src/bench/stream";

describe("summarizeLatencies", () => {
  it("takes nearest-rank p50 and p99 and the maximum, whatever the order", () => {
    // 1..200 shuffled: p50 is the 100th value (ceil(0.5 * 200)), p99 the 198th (ceil(0.99 * 200))
    const xs = Array.from({ length: 200 }, (_, i) => ((i * 7) % 200) + 1);
    expect(summarizeLatencies(xs)).toEqual({ samples: 200, p50Ms: 100, p99Ms: 198, maxMs: 200 });
  });

  it("sorts numerically, not as text", () => {
    // sorted: 2, 9, 10, 100; p50 the 2nd, p99 the 4th
    expect(summarizeLatencies(Float64Array.from([10, 9, 100, 2]))).toEqual({
      samples: 4,
      p50Ms: 9,
      p99Ms: 100,
      maxMs: 100,
    });
  });

  it("gives one sample as every percentile, and NaN for none", () => {
    expect(summarizeLatencies([3.5])).toEqual({ samples: 1, p50Ms: 3.5, p99Ms: 3.5, maxMs: 3.5 });
    const none = summarizeLatencies([]);
    expect(none.samples).toBe(0);
    expect(none.p99Ms).toBeNaN();
  });
});

describe("the stream bench's aim", () => {
  const summary = (p99Ms: number, samples = 10) => ({ samples, p50Ms: 1, p99Ms, maxMs: p99Ms });
  const run: StreamRun = {
    server: "gateway",
    clients: 10,
    failed: 0,
    open: 10,
    closes: {},
    quotes: summary(99),
    events: summary(99.9),
    expectedEvents: 10,
    quotesPerClientPerSecond: 70,
  };

  it("is p99 under 100 ms on quotes and events, every event delivered, no connection lost", () => {
    expect(meetsAim(run)).toBe(true);
    expect(meetsAim({ ...run, events: summary(100) })).toBe(false);
    expect(meetsAim({ ...run, quotes: summary(120) })).toBe(false);
    expect(meetsAim({ ...run, events: summary(5, 9) })).toBe(false);
    expect(meetsAim({ ...run, open: 9, closes: { "4008": 1 } })).toBe(false);
    expect(meetsAim({ ...run, failed: 1, open: 9 })).toBe(false);
  });
});
