import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { QuotesBoard } from "../src/components/quotes-board";
import { instruments, quote, quotes, upstreamTimeout } from "./fixtures";
import { renderWithClient, stubApi, stubPendingApi, type Answer } from "./support";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const rowOf = (symbol: string) => screen.getByRole("button", { name: symbol }).closest("tr")!;

describe("QuotesBoard", () => {
  it("shows every instrument's bid, ask, mid and change since the open at the instrument's precision", async () => {
    // Prepare
    stubApi({ "/api/quotes": { body: quotes }, "/api/instruments": { body: instruments } });

    // Act
    renderWithClient(<QuotesBoard selected="AAPL" onSelect={() => {}} />);

    // Assess
    await screen.findByRole("button", { name: "AAPL" });
    await waitFor(() => expect(within(rowOf("EUR-USD")).getByText("1.08512")).toBeTruthy());
    const cells = (symbol: string) =>
      within(rowOf(symbol))
        .getAllByRole("cell")
        .map((c) => c.textContent);
    expect(cells("AAPL")).toEqual(["190.12", "190.14", "190.13", "+0.63", "▲+0.33%"]);
    expect(cells("MSFT")).toEqual(["419.80", "419.84", "419.82", "-1.18", "▼-0.28%"]);
    expect(cells("EUR-USD")).toEqual(["1.08512", "1.08517", "1.085145", "+0.000145", "▲+0.01%"]);
    expect(screen.getByRole("button", { name: "AAPL" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: "MSFT" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("polls about every second and flashes a row up when its mid rises, down when it falls", async () => {
    // Prepare
    let aapl = quote("AAPL", 190.12, 190.14, 189.5, 1_201);
    const msft = quote("MSFT", 419.8, 419.84, 421, 1_188);
    stubApi({ "/api/quotes": () => ({ body: [aapl, msft] }), "/api/instruments": { body: instruments } });
    renderWithClient(<QuotesBoard selected="AAPL" onSelect={() => {}} />);
    await screen.findByRole("button", { name: "AAPL" });
    expect(rowOf("AAPL").dataset.flash).toBeUndefined();
    expect(rowOf("AAPL").dataset.tsEvent).toBe(String(aapl.tsEvent));

    // Act: the next poll brings a higher AAPL quote
    aapl = quote("AAPL", 190.2, 190.22, 189.5, 1_202);

    // Assess
    await waitFor(() => expect(rowOf("AAPL").dataset.flash).toBe("up"), { timeout: 2_500 });
    expect(within(rowOf("AAPL")).getByText("190.20").className).toContain("flash-up");
    expect(rowOf("AAPL").dataset.tsEvent).toBe(String(aapl.tsEvent));
    expect(rowOf("MSFT").dataset.flash).toBeUndefined();

    // Act: then a lower one
    aapl = quote("AAPL", 190.01, 190.03, 189.5, 1_203);

    // Assess
    await waitFor(() => expect(rowOf("AAPL").dataset.flash).toBe("down"), { timeout: 2_500 });
  });

  it("says it is loading until the first answer", () => {
    stubPendingApi();

    renderWithClient(<QuotesBoard selected={undefined} onSelect={() => {}} />);

    expect(screen.getByRole("status").textContent).toBe("Loading quotes…");
  });

  it("shows the problem's detail when the API answers an error", async () => {
    stubApi({ "/api/quotes": { status: 503, body: upstreamTimeout }, "/api/instruments": { body: instruments } });

    renderWithClient(<QuotesBoard selected={undefined} onSelect={() => {}} />);

    expect((await screen.findByRole("alert")).textContent).toBe(
      "Cannot load quotes: market-data did not answer within 1000 ms",
    );
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("keeps the last board on screen, marked stale, when a later poll fails", async () => {
    // Prepare
    let answer: Answer = { body: quotes };
    stubApi({ "/api/quotes": () => answer, "/api/instruments": { body: instruments } });
    renderWithClient(<QuotesBoard selected="AAPL" onSelect={() => {}} />);
    await screen.findByRole("button", { name: "AAPL" });

    // Act: the market-data worker stops answering
    answer = { status: 503, body: upstreamTimeout };

    // Assess
    const stale = await screen.findByRole("alert", {}, { timeout: 2_500 });
    expect(stale.textContent).toBe("Showing the last quotes received: market-data did not answer within 1000 ms");
    expect(within(rowOf("AAPL")).getByText("190.12")).toBeTruthy();
  });

  it("says why the board is empty before the first quote", async () => {
    stubApi({ "/api/quotes": { body: [] }, "/api/instruments": { body: instruments } });

    renderWithClient(<QuotesBoard selected={undefined} onSelect={() => {}} />);

    expect(await screen.findByText("No quotes yet: the market-data worker has not published.")).toBeTruthy();
  });

  it("marks a symbol stale when its last tick is older than 5 s, and scrolls the table within its panel", async () => {
    // Prepare: AAPL ticked 100 ms ago, MSFT 5.1 s ago, EUR-USD 3 s ago
    const now = Date.now();
    const at = (q: ReturnType<typeof quote>, ago: number) => ({ ...q, tsEvent: now - ago });
    stubApi({
      "/api/quotes": {
        body: [
          at(quote("AAPL", 190.12, 190.14, 189.5, 1), 100),
          at(quote("MSFT", 419.8, 419.84, 421, 2), 5_100),
          at(quote("EUR-USD", 1.08512, 1.08517, 1.085, 3), 3_000),
        ],
      },
      "/api/instruments": { body: instruments },
    });

    // Act
    renderWithClient(<QuotesBoard selected="AAPL" onSelect={() => {}} />);

    // Assess
    await screen.findByRole("button", { name: "AAPL" });
    expect(within(rowOf("MSFT")).getByRole("rowheader").textContent).toBe("MSFTstale");
    expect(within(rowOf("AAPL")).queryByText("stale")).toBeNull();
    expect(within(rowOf("EUR-USD")).queryByText("stale")).toBeNull();
    expect(screen.getByRole("table").parentElement!.className).toBe("scroll-x");
  });
});
