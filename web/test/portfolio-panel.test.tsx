import { cleanup, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PortfolioPanel } from "../src/components/portfolio-panel";
import { charts, liveSeries } from "./chart-mock";
import { portfolio, readSideEmpty, T0, upstreamTimeout } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

vi.mock("lightweight-charts", async (importOriginal) =>
  (await import("./chart-mock")).withFakeCharts(await importOriginal()),
);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  charts.length = 0;
});

const figure = (label: string) => screen.getByText(label).nextElementSibling!;

describe("PortfolioPanel", () => {
  it("shows the PnL totals and draws equity with its drawdown below, one point a second", async () => {
    stubApi({ "/api/portfolio": { body: portfolio } });

    renderWithClient(<PortfolioPanel />);

    await screen.findByText("Equity");
    expect(figure("Equity").textContent).toBe("$194,845.18");
    expect(figure("Net PnL").textContent).toBe("-$5,154.82");
    expect(figure("Net PnL").className).toBe("down");
    expect(figure("Realized").textContent).toBe("-$5,126.20");
    expect(figure("Unrealized").textContent).toBe("-$3.12");
    expect(figure("Drawdown now").textContent).toBe("2.58%");
    expect(figure("Drawdown now").className).toBe("down");
    expect(figure("Max drawdown since start").textContent).toBe("2.61%");
    // 95,000 ms: 1 minute and 35 seconds
    expect(figure("Longest drawdown").textContent).toBe("1m 35s");
    expect(screen.getByRole("img", { name: "Equity curve and drawdown" })).toBeTruthy();
    const [equity, drawdown] = liveSeries();
    const t = T0 / 1_000;
    expect(equity!.data).toEqual([
      { time: t, value: 200_020 },
      { time: t + 1, value: 194_800 },
      { time: t + 2, value: 194_845.18 },
    ]);
    expect(drawdown!.paneIndex).toBe(1);
    expect(drawdown!.data).toEqual([
      { time: t, value: 0 },
      { time: t + 1, value: -2.61 },
      { time: t + 2, value: -2.58 },
    ]);
  });

  it("says the curve starts with the first sample while it is empty", async () => {
    stubApi({ "/api/portfolio": { body: { ...portfolio, equityCurve: [] } } });

    renderWithClient(<PortfolioPanel />);

    expect(await screen.findByText("No equity curve yet: it starts with the first sample.")).toBeTruthy();
    expect(charts).toHaveLength(0);
  });

  it("waits for the read side's first sample on 503 read-side-empty, without an error, then shows it when it comes", async () => {
    // Prepare: the first polls find the read side empty, a later one has the sample
    let polls = 0;
    stubApi({
      "/api/portfolio": () => (++polls <= 1 ? { status: 503, body: readSideEmpty } : { body: portfolio }),
    });

    // Act
    renderWithClient(<PortfolioPanel />);

    // Assess
    expect(
      await screen.findByText("Waiting for the first sample: the portfolio starts with the first closed bar."),
    ).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByText("Equity")).toBeNull();
    // the panel polls once a second
    await waitFor(() => expect(figure("Equity").textContent).toBe("$194,845.18"), { timeout: 3_000 });
    expect(screen.queryByText(/Waiting for the first sample/)).toBeNull();
    expect(polls).toBeGreaterThanOrEqual(2);
  });

  it("takes any other 503 for an error", async () => {
    stubApi({
      "/api/portfolio": {
        status: 503,
        body: {
          ...upstreamTimeout,
          code: "read-side-unavailable",
          detail: "the read side's database did not answer",
          instance: "/api/portfolio",
          upstream: undefined,
        },
      },
    });

    renderWithClient(<PortfolioPanel />);

    expect((await screen.findByRole("alert")).textContent).toBe(
      "Cannot load the portfolio: the read side's database did not answer",
    );
  });
});
