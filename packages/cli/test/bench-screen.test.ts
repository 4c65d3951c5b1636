import { describe, expect, it } from "vitest";
import { screenFigures, type Render } from "../src/bench/screen";

describe("the screen bench's figures", () => {
  const window = { from: 10_000, to: 20_000 };
  // 10 s window, 2 symbols; a render is [paintedAt, latency]
  const stream: Render[] = [
    [9_999, 500], // painted before the window: left out
    ...Array.from({ length: 200 }, (_, i) => [10_000 + i * 50, (i % 100) + 1] as const),
    [20_000, 900], // at its end: left out
  ];
  const polling: Render[] = Array.from({ length: 20 }, (_, i) => [10_000 + i * 500, 40 + i * 10] as const);

  it("summarizes each page's renders painted in the window, with their rates and the p99 ratio", () => {
    const figures = screenFigures(
      { stream: { renders: stream, quoteRequests: 0 }, polling: { renders: polling, quoteRequests: 10 } },
      window,
      2,
    );

    // stream: 1..100 twice; nearest rank p50 is the 100th of 200 (50), p99 the 198th (99)
    expect(figures.stream).toEqual({
      mode: "stream",
      latency: { samples: 200, p50Ms: 50, p99Ms: 99, maxMs: 100 },
      rendersPerSymbolPerSecond: 10,
      quoteRequestsPerSecond: 0,
    });
    // polling: 40, 50, ..., 230; p50 the 10th (130), p99 the 20th (230)
    expect(figures.polling).toEqual({
      mode: "polling",
      latency: { samples: 20, p50Ms: 130, p99Ms: 230, maxMs: 230 },
      rendersPerSymbolPerSecond: 1,
      quoteRequestsPerSecond: 1,
    });
    expect(figures.symbols).toBe(2);
    expect(figures.windowSeconds).toBe(10);
    expect(figures.p99Ratio).toBeCloseTo(230 / 99, 10);
    expect(figures.meetsAim).toBe(true);
  });

  it("meets the aim only with the stream's p99 under 100 ms", () => {
    const at100: Render[] = [[10_000, 100]];
    const figures = screenFigures(
      { stream: { renders: at100, quoteRequests: 0 }, polling: { renders: polling, quoteRequests: 10 } },
      window,
      2,
    );
    expect(figures.meetsAim).toBe(false);
  });

  it("does not meet the aim without a sample", () => {
    const figures = screenFigures(
      { stream: { renders: [], quoteRequests: 0 }, polling: { renders: [], quoteRequests: 0 } },
      window,
      2,
    );
    expect(figures.stream.latency.samples).toBe(0);
    expect(figures.meetsAim).toBe(false);
    expect(figures.p99Ratio).toBeNaN();
  });
});
