import { act, cleanup, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/app";
import { PriceChartPanel } from "../src/components/price-chart-panel";
import type { Fill, Strategy } from "../src/api/types";
import { strategyColor } from "../src/charts/chart-data";
import { charts, liveSeries, moveCrosshair } from "./chart-mock";
import { bars, dashboardRoutes, fills, pageAnswer, strategies, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

vi.mock("lightweight-charts", async (importOriginal) =>
  (await import("./chart-mock")).withFakeCharts(await importOriginal()),
);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  charts.length = 0;
  // the view lives in the URL: each test starts from a bare one
  window.history.replaceState(null, "", "/");
});

/** A second strategy on AAPL, `breakout`, that sold 10 at 190.50 at 14:30:03.5 and 5 at 190.40 at 14:30:03.9. */
const breakout: Strategy = { ...strategies[0]!, id: "breakout", kind: "breakout", symbols: ["AAPL"] };
const breakoutFills: Fill[] = [
  {
    ...fills[0]!,
    orderId: "breakout:1",
    strategyId: "breakout",
    side: "sell",
    fillNo: 2,
    quantity: 5,
    price: 190.4,
    tsEvent: T0 + 3_900,
  },
  {
    ...fills[0]!,
    orderId: "breakout:1",
    strategyId: "breakout",
    side: "sell",
    fillNo: 1,
    quantity: 10,
    price: 190.5,
    tsEvent: T0 + 3_500,
  },
];
const twoStrategies = () => ({
  ...dashboardRoutes(),
  "/api/strategies": { body: [strategies[0]!, breakout] },
  "/api/fills": (url: URL) =>
    pageAnswer(
      [...breakoutFills, ...fills].filter((f) => f.symbol === url.searchParams.get("symbol")),
      url,
      (f) => `${f.orderId}:${f.fillNo}`,
    ),
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

  it("marks each bar's signals and fills, aggregated per strategy, in the strategy's colour", async () => {
    stubApi(dashboardRoutes());

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    await waitFor(() => expect(candles().markers).toHaveLength(3));
    const sma = strategyColor("sma-crossover");
    // the order filled in two parts within the 14:30:01 bar: one marker says so
    expect(candles().markers).toEqual([
      expect.objectContaining({ time: (T0 + 1_000) / 1_000, shape: "arrowUp", text: "long", color: sma }),
      expect.objectContaining({
        time: (T0 + 1_000) / 1_000,
        shape: "square",
        position: "atPriceMiddle",
        price: 190.07,
        text: "2 fills",
        color: sma,
      }),
      expect.objectContaining({ time: (T0 + 4_000) / 1_000, shape: "arrowDown", text: "short", color: sma }),
    ]);
  });

  it("loads the markers of the bars' whole range from /api/fills and /api/signals, following `next` to the last page", async () => {
    // Prepare: fills come a page of one at a time
    const routes = dashboardRoutes();
    const { calls } = stubApi({
      ...routes,
      "/api/fills": (url) => {
        const small = new URL(url);
        small.searchParams.set("limit", "1");
        return pageAnswer(fills, small, (f) => `${f.orderId}:${f.fillNo}`);
      },
    });

    // Act
    const { client } = renderWithClient(<PriceChartPanel symbol="AAPL" />);

    // Assess: both fills, from two pages
    await waitFor(() => expect(candles().markers).toContainEqual(expect.objectContaining({ text: "2 fills" })));
    const requests = calls.filter((u) => u.pathname === "/api/fills").map((u) => Object.fromEntries(u.searchParams));
    // the range starts at the first bar's start floored to 100 bars (T0 is a multiple of 100 s)
    expect(requests[0]).toEqual({ symbol: "AAPL", from: String(T0), limit: "1000" });
    expect(requests[1]).toEqual({ symbol: "AAPL", from: String(T0), limit: "1000", cursor: "after:sma-crossover:3:2" });
    expect(client.getQueryData(["fills", "AAPL", { from: T0 }])).toEqual(fills);
    const signals = calls.filter((u) => u.pathname === "/api/signals").map((u) => Object.fromEntries(u.searchParams));
    expect(signals[0]).toEqual({ symbol: "AAPL", from: String(T0), limit: "1000" });
  });

  it("filters markers by strategy with a checkbox per strategy of the symbol, and writes the filter in the URL", async () => {
    // Prepare
    stubApi(twoStrategies());
    renderWithClient(<PriceChartPanel symbol="AAPL" />);
    await waitFor(() => expect(candles().markers).toHaveLength(4));
    expect(candles().markers).toContainEqual(
      expect.objectContaining({ time: (T0 + 3_000) / 1_000, text: "2 fills", color: strategyColor("breakout") }),
    );

    // Act: hide sma-crossover
    await userEvent.click(screen.getByRole("checkbox", { name: "sma-crossover" }));

    // Assess
    await waitFor(() => expect(candles().markers).toHaveLength(1));
    expect(candles().markers[0]).toMatchObject({ text: "2 fills", color: strategyColor("breakout") });
    expect(window.location.search).toBe("?strategies=breakout");

    // Act: show it again: every strategy ticked is no filter
    await userEvent.click(screen.getByRole("checkbox", { name: "sma-crossover" }));
    await waitFor(() => expect(candles().markers).toHaveLength(4));
    expect(window.location.search).toBe("");
  });

  it("shows the crosshair's bar: OHLC, volume and each of its markers' strategy, side, quantity and price", async () => {
    // Prepare
    stubApi(twoStrategies());
    renderWithClient(<PriceChartPanel symbol="AAPL" />);
    await waitFor(() => expect(candles().markers).toHaveLength(4));

    // Act: over the 14:30:03 bar (open 190.15, close 190.12)
    act(() => moveCrosshair((T0 + 3_000) / 1_000));

    // Assess
    const tooltip = await screen.findByTestId("chart-tooltip");
    expect(tooltip.querySelector(".ohlc")!.textContent).toMatch(/O 190\.15 H 190\.17 L 190\.10 C 190\.12 V 4,800$/);
    expect([...tooltip.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "breakout fill sell 10 @ 190.50",
      "breakout fill sell 5 @ 190.40",
    ]);

    // Act + Assess: off the chart, no tooltip
    act(() => moveCrosshair(undefined));
    expect(screen.queryByTestId("chart-tooltip")).toBeNull();
  });

  it("breaks the series where bars are missing: a whitespace point at each missing start", async () => {
    const all = bars("AAPL", "1s", 6, 190);
    stubApi({ ...dashboardRoutes(), "/api/bars/AAPL": { body: [all[0], all[1], all[4], all[5]] } });

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    await waitFor(() => expect(candles().data).toHaveLength(6));
    expect(candles().data.map((d) => [(d as { time: number }).time - T0 / 1_000, "open" in (d as object)])).toEqual([
      [0, true],
      [1, true],
      [2, false],
      [3, false],
      [4, true],
      [5, true],
    ]);
  });

  it("restores a deep link's symbol, interval and strategy filter, and writes the chosen symbol back", async () => {
    // Prepare
    window.history.replaceState(null, "", "/?symbol=MSFT&interval=5m&strategies=mean-reversion");
    const { calls } = stubApi(dashboardRoutes());

    // Act
    renderWithClient(<App />);

    // Assess
    await screen.findByRole("heading", { name: "MSFT · 5m" });
    expect(screen.getByRole("button", { name: "5m" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: "MSFT" }).getAttribute("aria-pressed")).toBe("true");
    await waitFor(() =>
      expect(calls.some((u) => u.pathname === "/api/bars/MSFT" && u.searchParams.get("interval") === "5m")).toBe(true),
    );
    expect(((await screen.findByRole("checkbox", { name: "mean-reversion" })) as HTMLInputElement).checked).toBe(true);

    // Act: another symbol and interval
    await userEvent.click(screen.getByRole("button", { name: "AAPL" }));
    await userEvent.click(screen.getByRole("button", { name: "1m" }));

    // Assess
    await screen.findByRole("heading", { name: "AAPL · 1m" });
    expect(new URLSearchParams(window.location.search).get("symbol")).toBe("AAPL");
    expect(new URLSearchParams(window.location.search).get("interval")).toBe("1m");
    expect(new URLSearchParams(window.location.search).get("strategies")).toBe("mean-reversion");
  });

  it("shows the board's first symbol when a link names one the board does not have", async () => {
    window.history.replaceState(null, "", "/?symbol=NOPE&interval=1m");
    stubApi(dashboardRoutes());

    renderWithClient(<App />);

    await screen.findByRole("heading", { name: "AAPL · 1m" });
  });

  it("draws a long interval's first bar while it forms, with the markers of its signals and fills", async () => {
    // no closed 5m bar yet; AAPL's quote (T0 + 60.05 s) is in the 5m bar of T0, as are its signals and fills
    window.history.replaceState(null, "", "/?interval=5m");
    stubApi({ ...dashboardRoutes(), "/api/bars/AAPL": { body: [] } });

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    await screen.findByRole("img", { name: /^AAPL 5m candlestick chart, 0 bars, [1-9]\d* markers$/ });
    await waitFor(() =>
      expect(candles().updated).toEqual({ time: T0 / 1_000, open: 190.13, high: 190.13, low: 190.13, close: 190.13 }),
    );
    expect(candles().data).toEqual([]);
    const markers = candles().markers as { time: number; text: string }[];
    expect(markers.length).toBeGreaterThan(0);
    expect(markers.every((m) => m.time === T0 / 1_000)).toBe(true);
    expect(markers.map((m) => m.text)).toContain("2 fills");
  });

  it("says there are no bars yet for a quiet interval", async () => {
    // no closed bar and no quote to form one
    stubApi({ ...dashboardRoutes(), "/api/bars/AAPL": { body: [] }, "/api/quotes": { body: [] } });

    renderWithClient(<PriceChartPanel symbol="AAPL" />);

    expect(await screen.findByText("No 1s bars for AAPL yet: the first closes 1s after its first quote.")).toBeTruthy();
    expect(screen.queryByTestId("price-chart")).toBeNull();
  });
});
