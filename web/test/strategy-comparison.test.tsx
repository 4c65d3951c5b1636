import { EquityPageSchema } from "@tickflow/gateway/schemas";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EquityPoint } from "../src/api/types";
import { strategyColor } from "../src/charts/chart-data";
import { SHARPE_TITLE, StrategyComparison } from "../src/components/strategy-comparison";
import { charts, liveSeries } from "./chart-mock";
import { pageAnswer, portfolio, strategies, T0 } from "./fixtures";
import { renderWithClient, stubApi, type Routes } from "./support";

vi.mock("lightweight-charts", async (importOriginal) =>
  (await import("./chart-mock")).withFakeCharts(await importOriginal()),
);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  charts.length = 0;
});

const MINUTE = 60_000;
const point = (minute: number, equity: number): EquityPoint => ({
  ts: T0 + minute * MINUTE,
  equity,
  netPnl: equity - 100_000,
  drawdown: 0,
  maxDrawdown: 0,
});
/** sma-crossover: +10%, -10%, +10% a minute (Sharpe sqrt(3)/6 = 0.289); mean-reversion flat (no Sharpe). */
const curves: Record<string, EquityPoint[]> = {
  "sma-crossover": [point(0, 100_000), point(1, 110_000), point(2, 99_000), point(3, 108_900)],
  "mean-reversion": [0, 1, 2, 3].map((m) => point(m, 94_777.1)),
};

function routes(overrides: Routes = {}): Routes {
  return {
    "/api/strategies": { body: strategies },
    "/api/portfolio": { body: portfolio },
    "/api/equity": (url) => pageAnswer(curves[url.searchParams.get("strategy")!] ?? [], url, (p) => String(p.ts)),
    ...overrides,
  };
}

const cells = (strategy: string) =>
  within(screen.getByRole("rowheader", { name: strategy }).closest("tr")!)
    .getAllByRole("cell")
    .map((c) => c.textContent);

describe("StrategyComparison", () => {
  it("holds its equity fixture to the API's schema", () => {
    for (const items of Object.values(curves))
      expect(() => EquityPageSchema.parse({ items, next: null })).not.toThrow();
  });

  it("sets net PnL, fees, win rate, max drawdown and Sharpe side by side, and overlays the curves", async () => {
    // Prepare
    const { calls } = stubApi(routes());

    // Act
    renderWithClient(<StrategyComparison />);

    // Assess: 84.20 - 3.12 - 12.50 = +68.58; 3 of 4 closing fills won
    await waitFor(() => expect(cells("sma-crossover")).toEqual(["+$68.58", "$12.50", "75.00%", "0.04%", "0.289"]));
    expect(cells("mean-reversion")).toEqual(["-$5,222.90", "$12.50", "75.00%", "5.21%", "–"]);
    expect(screen.getByRole("columnheader", { name: "Sharpe (1 min)" }).title).toBe(SHARPE_TITLE);
    const equity = calls.filter((u) => u.pathname === "/api/equity");
    expect(equity.map((u) => u.searchParams.get("strategy")).sort()).toEqual(["mean-reversion", "sma-crossover"]);
    const from = Number(equity[0]!.searchParams.get("from"));
    expect(from % (10 * MINUTE)).toBe(0);
    expect(Date.now() - from).toBeGreaterThanOrEqual(2 * 60 * MINUTE);
    expect(Date.now() - from).toBeLessThan(2 * 60 * MINUTE + 10 * MINUTE);
    const lines = liveSeries();
    expect(lines.map((s) => s.options.color)).toEqual([
      strategyColor("sma-crossover"),
      strategyColor("mean-reversion"),
    ]);
    expect(lines[0]!.data).toEqual(curves["sma-crossover"]!.map((p) => ({ time: p.ts / 1_000, value: p.netPnl })));
  });

  it("warns when the strategies' net PnL does not add up to the portfolio's", async () => {
    // Prepare: the fixture portfolio says -5,154.82; its strategies sum to 68.58 - 5,222.90 = -5,154.32
    stubApi(routes());

    // Act
    renderWithClient(<StrategyComparison />);

    // Assess
    expect((await screen.findByRole("alert")).textContent).toBe(
      "The strategies do not add up to the portfolio: their net PnL sums to -$5,154.32, the portfolio's is -$5,154.82.",
    );
  });

  it("says which curve failed, and still shows the accounts", async () => {
    // Prepare
    stubApi(
      routes({
        "/api/equity": {
          status: 503,
          body: {
            type: "about:blank",
            title: "x",
            status: 503,
            code: "read-side-down",
            detail: "the read side is down",
          },
        },
        "/api/portfolio": { body: { ...portfolio, netPnl: -5_154.32 } },
      }),
    );

    // Act
    renderWithClient(<StrategyComparison />);

    // Assess
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Cannot load every equity curve (their Sharpe shows –): the read side is down",
    );
    expect(cells("sma-crossover")).toEqual(["+$68.58", "$12.50", "75.00%", "0.04%", "–"]);
  });

  it("says nothing when they reconcile", async () => {
    // Prepare
    const { calls } = stubApi(routes({ "/api/portfolio": { body: { ...portfolio, netPnl: -5_154.32 } } }));

    // Act
    renderWithClient(<StrategyComparison />);

    // Assess
    await waitFor(() => expect(cells("sma-crossover")[4]).toBe("0.289"));
    await waitFor(() => expect(calls.some((u) => u.pathname === "/api/portfolio")).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
