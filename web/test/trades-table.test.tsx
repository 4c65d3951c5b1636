import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tradesCsvName, TradesTable } from "../src/components/trades-table";
import { formatDateTime } from "../src/format";
import { dashboardRoutes, T0, tradeHistory, trades, tradesRoute, upstreamTimeout } from "./fixtures";
import { renderWithClient, stubApi, type Answer } from "./support";

/**
 * A stand-in for IntersectionObserver (happy-dom's never reports): it keeps what each observer
 * watches, and `report` tells the live ones whether their targets are in view.
 */
class FakeIntersectionObserver {
  static live: FakeIntersectionObserver[] = [];
  readonly targets: Element[] = [];

  constructor(
    readonly callback: IntersectionObserverCallback,
    readonly options: IntersectionObserverInit = {},
  ) {
    FakeIntersectionObserver.live.push(this);
  }

  observe(target: Element) {
    this.targets.push(target);
  }

  unobserve() {}

  disconnect() {
    FakeIntersectionObserver.live = FakeIntersectionObserver.live.filter((o) => o !== this);
  }

  takeRecords() {
    return [];
  }

  static report(isIntersecting: boolean) {
    for (const observer of [...FakeIntersectionObserver.live])
      observer.callback(
        observer.targets.map((target) => ({ target, isIntersecting }) as IntersectionObserverEntry),
        observer as unknown as IntersectionObserver,
      );
  }
}

beforeEach(() => {
  FakeIntersectionObserver.live = [];
  vi.stubGlobal("IntersectionObserver", FakeIntersectionObserver);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const region = () => screen.getByRole("region", { name: "Trades" });
/** The table's body rows, each as its cells' text: the closed time (the row header), then the others. */
const rows = () =>
  within(region())
    .getAllByRole("row")
    .slice(1)
    .map((row) =>
      [within(row).getByRole("rowheader"), ...within(row).getAllByRole("cell")].map((cell) => cell.textContent),
    );
const tradeRequests = (calls: URL[]) => calls.filter((u) => u.pathname === "/api/trades");
const params = (url: URL) => Object.fromEntries(url.searchParams);

describe("TradesTable", () => {
  it("shows each closed trade newest first: when, who, what, entry and exit, net PnL in colour, fees, holding time, MAE/MFE", async () => {
    const { calls } = stubApi(dashboardRoutes());

    renderWithClient(<TradesTable />);

    await waitFor(() => expect(rows()).toHaveLength(4));
    // EUR-USD prices keep the instrument's 5 decimals (1.0849 -> 1.08490) once the universe has loaded
    await waitFor(() => expect(rows()[2]![6]).toBe("1.08490"));
    expect(rows()).toEqual([
      [
        formatDateTime(T0 + 9_310),
        "sma-crossover",
        "AAPL",
        "long",
        "52",
        "190.07",
        "190.31",
        "+$10.50",
        "$1.98",
        "8.0 s",
        "-$3.12 / +$14.04",
      ],
      [
        formatDateTime(T0 + 8_000),
        "mean-reversion",
        "MSFT",
        "short",
        "23",
        "419.84",
        "420.50",
        "-$17.11",
        "$1.93",
        "3m 05s",
        "-$21.39 / +$2.30",
      ],
      [
        formatDateTime(T0 + 7_500),
        "sma-crossover",
        "EUR-USD",
        "short",
        "9,000",
        "1.08517",
        "1.08490",
        "+$1.45",
        "$0.98",
        "42 s",
        "-$0.45 / +$2.61",
      ],
      [
        formatDateTime(T0 + 1_000),
        "sma-crossover",
        "AAPL",
        "long",
        "52",
        "190.20",
        "190.05",
        "-$9.78",
        "$1.98",
        "850 ms",
        "-$9.10 / +$0.52",
      ],
    ]);
    expect(within(region()).getByText("+$10.50").className).toBe("up");
    expect(within(region()).getByText("-$17.11").className).toBe("down");
    expect(within(region()).getByText("No older trades.")).toBeTruthy();
    expect(tradeRequests(calls).map(params)).toEqual([{ limit: "50" }]);
  });

  it("asks for the chosen strategy's and symbol's trades, each choice under its own query key", async () => {
    // Prepare
    const { calls } = stubApi(dashboardRoutes());
    const { client } = renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(4));
    const strategy = screen.getByRole("combobox", { name: "Strategy" });
    const symbol = screen.getByRole("combobox", { name: "Symbol" });
    await waitFor(() =>
      expect(
        within(strategy)
          .getAllByRole("option")
          .map((o) => o.textContent),
      ).toEqual(["All", "sma-crossover", "mean-reversion"]),
    );
    await waitFor(() =>
      expect(
        within(symbol)
          .getAllByRole("option")
          .map((o) => o.textContent),
      ).toEqual(["All", "AAPL", "MSFT", "EUR-USD"]),
    );

    // Act: one strategy
    await userEvent.selectOptions(strategy, "sma-crossover");

    // Assess: its three trades, the MSFT one of mean-reversion left out
    await waitFor(() => expect(rows().map((r) => r[2])).toEqual(["AAPL", "EUR-USD", "AAPL"]));
    expect(params(tradeRequests(calls).at(-1)!)).toEqual({ strategy: "sma-crossover", limit: "50" });
    expect(client.getQueryData(["trades", { strategy: "sma-crossover" }])).toMatchObject({
      pages: [{ items: [trades[0], trades[2], trades[3]], next: null }],
    });

    // Act: and one symbol
    await userEvent.selectOptions(symbol, "AAPL");

    // Assess
    await waitFor(() =>
      expect(rows().map((r) => r[0])).toEqual([formatDateTime(T0 + 9_310), formatDateTime(T0 + 1_000)]),
    );
    expect(params(tradeRequests(calls).at(-1)!)).toEqual({ strategy: "sma-crossover", symbol: "AAPL", limit: "50" });
    expect(client.getQueryData(["trades", { strategy: "sma-crossover", symbol: "AAPL" }])).toMatchObject({
      pages: [{ items: [trades[0], trades[3]], next: null }],
    });

    // Act: back to every strategy
    await userEvent.selectOptions(strategy, "All");

    // Assess: AAPL's trades of both strategies (mean-reversion has none)
    await waitFor(() => expect(params(tradeRequests(calls).at(-1)!)).toEqual({ symbol: "AAPL", limit: "50" }));
    expect(rows()).toHaveLength(2);
  });

  it("loads the next page, from the last page's cursor, when the sentinel under the rows scrolls into view", async () => {
    // Prepare: 60 trades, pages of 50
    const history = tradeHistory(60);
    const { calls } = stubApi({ ...dashboardRoutes(), "/api/trades": tradesRoute(history) });
    renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(50));
    const [observer] = FakeIntersectionObserver.live;
    expect(FakeIntersectionObserver.live).toHaveLength(1);
    expect(observer!.targets).toEqual([screen.getByTestId("trades-sentinel")]);
    // it watches the scrolling box the rows are in, not the page
    expect(observer!.options.root).toBe(screen.getByRole("table").parentElement);

    // Act: the sentinel is reported out of view
    act(() => FakeIntersectionObserver.report(false));

    // Assess: nothing more is asked for
    expect(tradeRequests(calls)).toHaveLength(1);

    // Act: now it is in view
    act(() => FakeIntersectionObserver.report(true));

    // Assess: the next 10, after the 50th, appended below the first page
    await waitFor(() => expect(rows()).toHaveLength(60));
    const requests = tradeRequests(calls);
    expect(requests.map(params)).toEqual([{ limit: "50" }, { limit: "50", cursor: `after:${history[49]!.tradeId}` }]);
    expect(rows()[50]![0]).toBe(formatDateTime(history[50]!.exitTs));
    expect(rows()[59]![0]).toBe(formatDateTime(T0 + 1_000));
    expect(within(region()).getByText("No older trades.")).toBeTruthy();
    // the last page is loaded: no sentinel is watched any more
    expect(FakeIntersectionObserver.live).toEqual([]);
  });

  it("offers a Load more button where there is no IntersectionObserver", async () => {
    // Prepare
    vi.stubGlobal("IntersectionObserver", undefined);
    const history = tradeHistory(60);
    const { calls } = stubApi({ ...dashboardRoutes(), "/api/trades": tradesRoute(history) });
    renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(50));
    expect(screen.queryByTestId("trades-sentinel")).toBeNull();

    // Act
    await userEvent.click(screen.getByRole("button", { name: "Load more trades" }));

    // Assess
    await waitFor(() => expect(rows()).toHaveLength(60));
    expect(params(tradeRequests(calls).at(-1)!)).toEqual({ limit: "50", cursor: `after:${history[49]!.tradeId}` });
    expect(screen.queryByRole("button", { name: "Load more trades" })).toBeNull();
    expect(within(region()).getByText("No older trades.")).toBeTruthy();
  });

  it("keeps the rows when the next page fails, and waits for a click to try again rather than retry on its own", async () => {
    // Prepare: the second page fails once
    const history = tradeHistory(60);
    const route = tradesRoute(history);
    let failNext = true;
    const { calls } = stubApi({
      ...dashboardRoutes(),
      "/api/trades": (url, headers): Answer => {
        if (url.searchParams.has("cursor") && failNext) {
          failNext = false;
          return {
            status: 503,
            body: {
              ...upstreamTimeout,
              code: "read-side-unavailable",
              detail: "the read side's database did not answer",
            },
          };
        }
        return route(url, headers);
      },
    });
    renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(50));

    // Act
    act(() => FakeIntersectionObserver.report(true));

    // Assess: the first page stays, marked stale, and nothing watches the sentinel
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Showing the last trades received: the read side's database did not answer",
    );
    expect(rows()).toHaveLength(50);
    expect(FakeIntersectionObserver.live).toEqual([]);
    expect(tradeRequests(calls)).toHaveLength(2);

    // Act: try again
    await userEvent.click(screen.getByRole("button", { name: "Load more trades" }));

    // Assess
    await waitFor(() => expect(rows()).toHaveLength(60));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says there are no trades yet", async () => {
    stubApi({ ...dashboardRoutes(), "/api/trades": tradesRoute([]) });

    renderWithClient(<TradesTable />);

    expect(
      await screen.findByText("No closed trades yet: a trade closes when a position is back to flat."),
    ).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();
  });
});

describe("the trades CSV download", () => {
  /** Spies the Blob URL and the link the download goes through; the link's click does not navigate. */
  function catchDownloads() {
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return `blob:http://dashboard.test/csv-${blobs.length}`;
    });
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
    const links: { href: string | null; download: string; inDocument: boolean }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      links.push({ href: this.getAttribute("href"), download: this.download, inDocument: this.isConnected });
    });
    return { blobs, links };
  }

  it("names the file after the filters", () => {
    expect(tradesCsvName({})).toBe("tickflow-trades-all-all.csv");
    expect(tradesCsvName({ strategy: "sma-crossover" })).toBe("tickflow-trades-sma-crossover-all.csv");
    expect(tradesCsvName({ symbol: "BTC-USD" })).toBe("tickflow-trades-all-BTC-USD.csv");
    expect(tradesCsvName({ strategy: "breakout", symbol: "AAPL" })).toBe("tickflow-trades-breakout-AAPL.csv");
  });

  it("fetches the filtered trades with Accept: text/csv, 1,000 at most, and saves them through a Blob URL", async () => {
    // Prepare
    const { blobs, links } = catchDownloads();
    const { requests } = stubApi(dashboardRoutes());
    renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(4));
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Strategy" }), "sma-crossover");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Symbol" }), "AAPL");
    await waitFor(() => expect(rows()).toHaveLength(2));

    // Act
    await userEvent.click(screen.getByRole("button", { name: "Download CSV" }));

    // Assess: one CSV request, with the filters
    await waitFor(() => expect(links).toHaveLength(1));
    const csv = requests.filter((r) => r.headers.get("accept") === "text/csv");
    expect(csv.map((r) => [r.url.pathname, params(r.url)])).toEqual([
      ["/api/trades", { strategy: "sma-crossover", symbol: "AAPL", limit: "1000" }],
    ]);
    // the table's own requests still ask for JSON
    expect(requests.filter((r) => r.url.pathname === "/api/trades").length).toBeGreaterThan(1);
    expect(
      requests
        .filter((r) => r.url.pathname === "/api/trades" && r.headers.get("accept") !== "text/csv")
        .map((r) => r.headers.get("accept")),
    ).toEqual(expect.arrayContaining(["application/json"]));
    // what the API answered is what is saved, under the filters' name
    expect(blobs).toHaveLength(1);
    expect(await blobs[0]!.text()).toBe(
      "tradeId,strategyId,symbol,side,netPnl\r\n" +
        "sma-crossover:AAPL:trade:2,sma-crossover,AAPL,long,10.5\r\n" +
        "sma-crossover:AAPL:trade:1,sma-crossover,AAPL,long,-9.78\r\n",
    );
    expect(links).toEqual([
      {
        href: "blob:http://dashboard.test/csv-1",
        download: "tickflow-trades-sma-crossover-AAPL.csv",
        inDocument: true,
      },
    ]);
    // the link was only there for the click
    expect(document.querySelector("a[download]")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says why the download failed, and saves nothing", async () => {
    // Prepare
    const { blobs, links } = catchDownloads();
    const route = tradesRoute(trades);
    stubApi({
      ...dashboardRoutes(),
      "/api/trades": (url, headers) =>
        headers.get("accept") === "text/csv"
          ? {
              status: 503,
              body: {
                ...upstreamTimeout,
                code: "read-side-unavailable",
                detail: "the read side's database did not answer",
              },
            }
          : route(url, headers),
    });
    renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(4));

    // Act
    await userEvent.click(screen.getByRole("button", { name: "Download CSV" }));

    // Assess
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Cannot download the trades: the read side's database did not answer",
    );
    expect(blobs).toEqual([]);
    expect(links).toEqual([]);
    expect(rows()).toHaveLength(4);
  });

  it("refuses an answer that is not CSV rather than save JSON under a .csv name", async () => {
    // Prepare: a gateway that ignores Accept
    const { links } = catchDownloads();
    const route = tradesRoute(trades);
    stubApi({ ...dashboardRoutes(), "/api/trades": (url) => route(url, new Headers()) });
    renderWithClient(<TradesTable />);
    await waitFor(() => expect(rows()).toHaveLength(4));

    // Act
    await userEvent.click(screen.getByRole("button", { name: "Download CSV" }));

    // Assess
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Cannot download the trades: /api/trades?limit=1000 answered application/json instead of CSV",
    );
    expect(links).toEqual([]);
  });
});
