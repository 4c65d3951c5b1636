import { cleanup, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/app";
import { PriceChartPanel } from "../src/components/price-chart-panel";
import { charts, liveSeries } from "./chart-mock";
import { dashboardRoutes, fills, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

vi.mock("lightweight-charts", async (importOriginal) =>
  (await import("./chart-mock")).withFakeCharts(await importOriginal()),
);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  charts.length = 0;
});

/** The candlestick series of the chart on screen. */
const candles = () => liveSeries().find((s) => "upColor" in s.options)!;

describe("the price chart", () => {
  it("shows the board's first symbol until another is chosen, then that symbol's bars", async () => {
    // Prepare
    const { calls } = stubApi(dashboardRoutes());
    renderWithClient(<App />);
    await screen.findByRole("heading", { name: "AAPL · 1s" });
    await waitFor(() => expect(candles().data).toHaveLength(6));
    expect(candles().data[0]).toEqual({ time: T0 / 1_000, open: 190, high: 190.06, low: 189.98, close: 190.04 });

    // Act
    await userEvent.click(screen.getByRole("button", { name: "MSFT" }));

    // Assess
    await screen.findByRole("heading", { name: "MSFT · 1s" });
    await waitFor(() => expect(candles().data[0]).toMatchObject({ open: 420 }));
    expect(screen.getByRole("button", { name: "MSFT" }).getAttribute("aria-pressed")).toBe("true");
    expect(calls.some((u) => u.pathname === "/api/bars/MSFT" && u.searchParams.get("interval") === "1s")).toBe(true);
  });

  it("refetches bars under ['bars', symbol, interval] with the interval in the URL when the interval changes", async () => {
    // Prepare
    const { calls } = stubApi(dashboardRoutes());
    const { client } = renderWithClient(<PriceChartPanel symbol="AAPL" />);
    await waitFor(() => expect(candles().data).toHaveLength(6));

    // Act
    await userEvent.click(screen.getByRole("button", { name: "5m" }));

    // Assess
    await screen.findByRole("heading", { name: "AAPL · 5m" });
    expect(screen.getByRole("button", { name: "5m" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: "1s" }).getAttribute("aria-pressed")).toBe("false");
    await waitFor(() => expect(client.getQueryData(["bars", "AAPL", "5m"])).toHaveLength(6));
    expect(calls.filter((u) => u.pathname === "/api/bars/AAPL").map((u) => u.search)).toContain(
      "?interval=5m&limit=300",
    );
    await waitFor(() => expect(candles().data[1]).toMatchObject({ time: (T0 + 300_000) / 1_000 }));
  });

  it("marks signals and each fill on the bars that hold them", async () => {
    stubApi(dashboardRoutes());

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    await waitFor(() => expect(candles().markers).toHaveLength(4));
    const fill = (n: number) =>
      expect.objectContaining({
        id: `sma-crossover:3:${n}`,
        time: (T0 + 1_000) / 1_000,
        shape: "square",
        position: "atPriceMiddle",
        price: 190.07,
        text: "B",
      });
    // the order filled in two parts: a marker for each
    expect(candles().markers).toEqual([
      expect.objectContaining({ time: (T0 + 1_000) / 1_000, shape: "arrowUp", text: "long" }),
      fill(2),
      fill(1),
      expect.objectContaining({ time: (T0 + 4_000) / 1_000, shape: "arrowDown", text: "short" }),
    ]);
  });

  it("reads the symbol's fills from /api/fills under ['fills', symbol], one page of them", async () => {
    // Prepare
    const { calls } = stubApi(dashboardRoutes());

    // Act
    const { client } = renderWithClient(<PriceChartPanel symbol="AAPL" />);

    // Assess
    await waitFor(() =>
      expect(candles().markers).toContainEqual(expect.objectContaining({ id: "sma-crossover:3:2", text: "B" })),
    );
    const requests = calls.filter((u) => u.pathname === "/api/fills");
    expect(requests.length).toBeGreaterThan(0);
    for (const u of requests) expect(Object.fromEntries(u.searchParams)).toEqual({ symbol: "AAPL", limit: "200" });
    expect(client.getQueryData(["fills", "AAPL"])).toEqual({ items: fills, next: null });
  });

  it("says there are no bars yet for a quiet interval", async () => {
    stubApi({ ...dashboardRoutes(), "/api/bars/AAPL": { body: [] } });

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    expect(await screen.findByText("No 1s bars for AAPL yet: the first closes 1s after its first quote.")).toBeTruthy();
    expect(screen.queryByTestId("price-chart")).toBeNull();
  });
});
