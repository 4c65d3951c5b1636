import { cleanup, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PortfolioPanel } from "../src/components/portfolio-panel";
import { charts, liveSeries } from "./chart-mock";
import { portfolio, T0 } from "./fixtures";
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
    expect(figure("Drawdown").textContent).toBe("2.58%");
    expect(figure("Max drawdown").textContent).toBe("2.61%");
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

  it("says the curve starts with the first fill while it is empty", async () => {
    stubApi({ "/api/portfolio": { body: { ...portfolio, equityCurve: [] } } });

    renderWithClient(<PortfolioPanel />);

    expect(await screen.findByText("No equity curve yet: it starts with the first fill.")).toBeTruthy();
    expect(charts).toHaveLength(0);
  });
});
