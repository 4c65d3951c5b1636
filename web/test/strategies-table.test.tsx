import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StrategiesTable } from "../src/components/strategies-table";
import { strategies, upstreamTimeout } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const rowOf = (id: string) => screen.getByRole("rowheader", { name: new RegExp(`^${id}`) }).closest("tr")!;

describe("StrategiesTable", () => {
  it("shows each strategy's status, open positions, PnL and parameters, a halted one as halted", async () => {
    stubApi({ "/api/strategies": { body: strategies } });

    renderWithClient(<StrategiesTable />);

    await screen.findByRole("table");
    const sma = within(rowOf("sma-crossover"));
    expect(sma.getByText("running")).toBeTruthy();
    expect(sma.getByRole("listitem").textContent).toBe("AAPL +52 @ 190.07");
    expect(sma.getByText("+$84.20").className).toBe("up");
    expect(sma.getByText("-$3.12").className).toBe("down");
    expect(sma.getByText("interval=1s tradeNotional=10000 allowShort=true fast=10 slow=30")).toBeTruthy();

    const meanReversion = within(rowOf("mean-reversion"));
    expect(meanReversion.getByText("halted").className).toContain("badge-halted");
    expect(meanReversion.getByText("flat")).toBeTruthy();
    expect(meanReversion.getByText("-$5,210.40")).toBeTruthy();
    expect(meanReversion.getByText("5.21%")).toBeTruthy();
  });

  it("shows each strategy's fees and net PnL (realized + unrealized - fees), as its account has them", async () => {
    stubApi({ "/api/strategies": { body: strategies } });

    renderWithClient(<StrategiesTable />);

    await screen.findByRole("table");
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(
      expect.arrayContaining(["Fees", "Net PnL"]),
    );
    // 84.20 - 3.12 - 12.50 = 68.58; -5,210.40 + 0 - 12.50 = -5,222.90
    expect(screen.getByTestId("fees-sma-crossover").textContent).toBe("$12.50");
    expect(screen.getByTestId("net-sma-crossover").textContent).toBe("+$68.58");
    expect(screen.getByTestId("net-sma-crossover").className).toBe("up");
    expect(screen.getByTestId("fees-mean-reversion").textContent).toBe("$12.50");
    expect(screen.getByTestId("net-mean-reversion").textContent).toBe("-$5,222.90");
    expect(screen.getByTestId("net-mean-reversion").className).toBe("down");
  });

  it("says no strategy runs when the list is empty", async () => {
    stubApi({ "/api/strategies": { body: [] } });

    renderWithClient(<StrategiesTable />);

    expect(await screen.findByText("No strategies are running.")).toBeTruthy();
  });

  it("shows the problem's detail when the strategy worker is down", async () => {
    stubApi({
      "/api/strategies": {
        status: 503,
        body: {
          ...upstreamTimeout,
          code: "upstream-unavailable",
          detail: "strategy is unreachable: connect ECONNREFUSED 127.0.0.1:7002",
          upstream: "strategy",
        },
      },
    });

    renderWithClient(<StrategiesTable />);

    expect((await screen.findByRole("alert")).textContent).toBe(
      "Cannot load strategies: strategy is unreachable: connect ECONNREFUSED 127.0.0.1:7002",
    );
  });
});
