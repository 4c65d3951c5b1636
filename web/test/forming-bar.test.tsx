import { act, cleanup, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PriceChartPanel } from "../src/components/price-chart-panel";
import { charts, liveSeries, moveCrosshair } from "./chart-mock";
import { bars, dashboardRoutes, quote, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

vi.mock("lightweight-charts", async (importOriginal) =>
  (await import("./chart-mock")).withFakeCharts(await importOriginal()),
);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  charts.length = 0;
  window.history.replaceState(null, "", "/");
});

const candles = () => liveSeries().find((s) => "upColor" in s.options)!;

describe("the forming bar", () => {
  it("draws the bar still forming after the closed ones, from the quotes' mids", async () => {
    // closed 1s bars at T0 .. T0 + 4 s; the quotes are of the bar of T0 + 10 s
    let mid = 190.13;
    let seq = 0;
    stubApi({
      ...dashboardRoutes(),
      "/api/bars/AAPL": { body: bars("AAPL", "1s", 5, 190) },
      "/api/quotes": () => {
        seq += 1;
        const q = quote("AAPL", mid - 0.01, mid + 0.01, 189.5, seq);
        return { body: [{ ...q, tsEvent: T0 + 10_000 + seq * 100 }] };
      },
    });

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    // Assess: the first quote opens it (mid 190.13)
    await waitFor(() =>
      expect(candles().updated).toEqual({
        time: (T0 + 10_000) / 1_000,
        open: 190.13,
        high: 190.13,
        low: 190.13,
        close: 190.13,
      }),
    );
    expect(candles().data).toHaveLength(5);

    // Act: the next polls move the mid up, then down
    mid = 190.2;
    await waitFor(() => expect(candles().updated).toMatchObject({ close: 190.2, high: 190.2 }), { timeout: 3_000 });
    mid = 190.05;
    await waitFor(() => expect(candles().updated).toMatchObject({ close: 190.05, low: 190.05 }), { timeout: 3_000 });

    // Assess: open kept, high and low the extremes seen
    expect(candles().updated).toEqual({
      time: (T0 + 10_000) / 1_000,
      open: 190.13,
      high: 190.2,
      low: 190.05,
      close: 190.05,
    });

    // Act + Assess: the crosshair on it shows its OHLC so far, no volume
    act(() => moveCrosshair((T0 + 10_000) / 1_000));
    expect(screen.getByTestId("chart-tooltip").textContent).toMatch(/O 190\.13 H 190\.20 L 190\.05 C 190\.05 forming/);
  }, 10_000);
});
