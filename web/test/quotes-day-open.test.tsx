import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CHANGE_TITLE, QuotesBoard } from "../src/components/quotes-board";
import { bars, instruments, quote, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** The fixtures' day: T0 is 2025-11-26T14:30:00Z, so the day starts at 1,764,115,200,000. */
const DAY_START = 1_764_115_200_000;
const rowOf = (symbol: string) => screen.getByRole("button", { name: symbol }).closest("tr")!;
const cells = (symbol: string) =>
  within(rowOf(symbol))
    .getAllByRole("cell")
    .map((c) => c.textContent);

describe("QuotesBoard's change since the UTC day's open", () => {
  it("measures from the day's first bar on the read side, not the worker's open (a restarted worker's)", async () => {
    // Prepare: the worker restarted at noon and took its first quote since then (190.10) as the
    // open; the day's first 5m bar (00:05 UTC) opened at 190.00
    const first = { ...bars("AAPL", "5m", 1, 0)[0]!, start: DAY_START + 300_000, open: 190 };
    const later = { ...first, start: DAY_START + 600_000, open: 191 };
    const { calls } = stubApi({
      "/api/quotes": { body: [quote("AAPL", 190.12, 190.14, 190.1, 1_201), quote("MSFT", 419.8, 419.84, 421, 1_188)] },
      "/api/instruments": { body: instruments },
      "/api/bars/AAPL": (url) => ({ body: url.searchParams.get("interval") === "5m" ? [first, later] : [] }),
      // MSFT's bars do not answer: the board keeps the worker's change
      "/api/bars/MSFT": { status: 503, body: { type: "about:blank", title: "x", status: 503, code: "read-side-down" } },
    });

    // Act
    renderWithClient(<QuotesBoard selected="AAPL" onSelect={() => {}} />);

    // Assess: 190.13 - 190.00 = +0.13, 0.13 / 190 = +0.0684%
    await waitFor(() => expect(cells("AAPL").slice(3)).toEqual(["+0.13", "▲+0.07%"]));
    expect(within(rowOf("AAPL")).getByText("+0.13").title).toBe("Open of the UTC day: 190.00");
    expect(cells("MSFT").slice(3)).toEqual(["-1.18", "▼-0.28%"]);
    const asked = calls.find((u) => u.pathname === "/api/bars/AAPL")!;
    expect(Object.fromEntries(asked.searchParams)).toEqual({
      interval: "5m",
      from: String(DAY_START),
      to: String(DAY_START + 86_400_000),
      limit: "288",
    });
    expect(screen.getByRole("columnheader", { name: "Change" }).title).toBe(CHANGE_TITLE);
    expect(CHANGE_TITLE).toContain("first quote of the UTC day");
    // one question per symbol and day: the next polls of the quotes do not ask again
    const before = calls.filter((u) => u.pathname === "/api/bars/AAPL").length;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(calls.filter((u) => u.pathname.startsWith("/api/quotes")).length).toBeGreaterThan(1);
    expect(calls.filter((u) => u.pathname === "/api/bars/AAPL").length).toBe(before);
  });

  it("takes the first 1m bar before the day's first 5m bar has closed", async () => {
    // Prepare: the day's quotes began at 14:30, so its first 5m bar is still forming
    const minute = (i: number, open: number) => ({ ...bars("AAPL", "1m", 1, 0)[0]!, start: T0 + i * 60_000, open });
    const { calls } = stubApi({
      "/api/quotes": { body: [quote("AAPL", 190.12, 190.14, 189.5, 1_201)] },
      "/api/instruments": { body: instruments },
      "/api/bars/AAPL": (url) => ({
        body: url.searchParams.get("interval") === "5m" ? [] : [minute(0, 190.33), minute(1, 190.5)],
      }),
    });

    // Act
    renderWithClient(<QuotesBoard selected="AAPL" onSelect={() => {}} />);

    // Assess: 190.13 - 190.33 = -0.20, -0.2 / 190.33 = -0.1051%
    await waitFor(() => expect(cells("AAPL").slice(3)).toEqual(["-0.20", "▼-0.11%"]));
    expect(calls.filter((u) => u.pathname === "/api/bars/AAPL").map((u) => u.searchParams.get("interval"))).toEqual([
      "5m",
      "1m",
    ]);
  });
});
