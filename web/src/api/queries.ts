import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { ApiError, getJson } from "./client";
import type {
  Alert,
  Bar,
  BarInterval,
  FillPage,
  Health,
  Instrument,
  OrderPage,
  Portfolio,
  Quote,
  SignalPage,
  Strategy,
  TradePage,
} from "./types";

/**
 * One queryOptions factory per API resource: components, selects and prefetching take keys from
 * here, and keys are hierarchical (`['bars', symbol, interval]` sits under `['bars']`), so a
 * resource can be refetched or invalidated at any level.
 */

/** Live data is polled about once a second: the simulator publishes 20 quotes/s per symbol. */
const LIVE_MS = 1_000;
/** Health changes rarely; a slower poll is enough to notice a service going down. */
const HEALTH_MS = 5_000;
/** Every loaded page of trades is fetched again on each poll: slower than the live feeds. */
const HISTORY_MS = 5_000;

/** Bars per chart: 5 minutes of 1s bars, 5 hours of 1m bars. */
const BAR_LIMIT = 300;
/** Feed entries across all symbols. */
const FEED_LIMIT = 30;
/** Signals and fills of one symbol, enough to mark the bars on the chart. */
const MARKER_LIMIT = 200;
/** Trades per page of the trades table. */
const TRADE_PAGE = 50;
/** Rows of a CSV download: the list routes' largest page. */
const CSV_LIMIT = 1_000;

export const instrumentsQuery = () =>
  queryOptions({
    queryKey: ["instruments"],
    queryFn: ({ signal }) => getJson<Instrument[]>("/api/instruments", signal),
    // the universe is fixed while the platform runs
    staleTime: Number.POSITIVE_INFINITY,
  });

export const quotesQuery = () =>
  queryOptions({
    queryKey: ["quotes"],
    queryFn: ({ signal }) => getJson<Quote[]>("/api/quotes", signal),
    refetchInterval: LIVE_MS,
  });

export const barsQuery = (symbol: string, interval: BarInterval) =>
  queryOptions({
    queryKey: ["bars", symbol, interval],
    queryFn: ({ signal }) =>
      getJson<Bar[]>(`/api/bars/${encodeURIComponent(symbol)}?interval=${interval}&limit=${BAR_LIMIT}`, signal),
    refetchInterval: LIVE_MS,
  });

/**
 * The latest signals: of every symbol for the feed, or of one symbol for its chart. The cache
 * holds the API's page; the feed and the chart read its items.
 */
export const signalsQuery = (symbol?: string) =>
  queryOptions({
    queryKey: symbol === undefined ? ["signals"] : ["signals", symbol],
    queryFn: ({ signal }) => getJson<SignalPage>(`/api/signals?${feedParams(symbol)}`, signal),
    select: (page) => page.items,
    refetchInterval: LIVE_MS,
  });

/** The latest orders of every symbol at their latest state (working, filled, canceled...), newest first, for the feed. */
export const ordersQuery = () =>
  queryOptions({
    queryKey: ["orders"],
    queryFn: ({ signal }) => getJson<OrderPage>(`/api/orders?${feedParams()}`, signal),
    select: (page) => page.items,
    refetchInterval: LIVE_MS,
  });

/** One symbol's latest fills (one order.filled each), for the chart's markers. */
export const fillsQuery = (symbol: string) =>
  queryOptions({
    queryKey: ["fills", symbol],
    queryFn: ({ signal }) => getJson<FillPage>(`/api/fills?${feedParams(symbol)}`, signal),
    select: (page) => page.items,
    refetchInterval: LIVE_MS,
  });

/** What the trades table filters by; a filter left out means every strategy, or every symbol. */
export interface TradeFilters {
  strategy?: string;
  symbol?: string;
}

/**
 * Closed trades, newest first, a page at a time: each page's `next` is the cursor of the one
 * after it. Keyed by the filters, so each choice of strategy and symbol has its own pages.
 */
export const tradesQuery = (filters: TradeFilters) =>
  infiniteQueryOptions({
    queryKey: ["trades", filters],
    queryFn: ({ pageParam, signal }) =>
      getJson<TradePage>(`/api/trades?${tradeParams(filters, TRADE_PAGE, pageParam)}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    refetchInterval: HISTORY_MS,
  });

/** The trades of these filters as CSV: the latest CSV_LIMIT of them, the largest page the API serves. */
export function tradesCsvPath(filters: TradeFilters): string {
  return `/api/trades?${tradeParams(filters, CSV_LIMIT)}`;
}

function tradeParams(filters: TradeFilters, limit: number, cursor?: string): string {
  const params = new URLSearchParams();
  if (filters.strategy !== undefined) params.set("strategy", filters.strategy);
  if (filters.symbol !== undefined) params.set("symbol", filters.symbol);
  params.set("limit", String(limit));
  if (cursor !== undefined) params.set("cursor", cursor);
  return params.toString();
}

export const strategiesQuery = () =>
  queryOptions({
    queryKey: ["strategies"],
    queryFn: ({ signal }) => getJson<Strategy[]>("/api/strategies", signal),
    refetchInterval: LIVE_MS,
  });

/**
 * The portfolio, or null while the read side has no sample yet (503 read-side-empty, until the
 * first closed bar): a state to wait through, not an error. Any other failure is an error.
 */
export const portfolioQuery = () =>
  queryOptions({
    queryKey: ["portfolio"],
    queryFn: async ({ signal }): Promise<Portfolio | null> => {
      try {
        return await getJson<Portfolio>("/api/portfolio", signal);
      } catch (error) {
        if (error instanceof ApiError && error.code === "read-side-empty") return null;
        throw error;
      }
    },
    refetchInterval: LIVE_MS,
  });

export const alertsQuery = () =>
  queryOptions({
    queryKey: ["alerts"],
    queryFn: ({ signal }) => getJson<Alert[]>(`/api/alerts?limit=${FEED_LIMIT}`, signal),
    refetchInterval: LIVE_MS,
  });

/**
 * A Health document, as the health route's 503 carries when a dependency is down. The same
 * status can come with a problem (the check itself timed out) or, from API Gateway itself, with
 * `{"message":"Service Unavailable"}`: those say nothing of the workers.
 */
function isHealth(body: unknown): body is Health {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as Partial<Health>).status === "string" &&
    Array.isArray((body as Partial<Health>).dependencies)
  );
}

export const healthQuery = () =>
  queryOptions({
    queryKey: ["health"],
    // a 503 with a Health body says which dependency is down; any other 503 is an error
    queryFn: ({ signal }) => getJson<Health>("/api/health", signal, [{ status: 503, is: isHealth }]),
    refetchInterval: HEALTH_MS,
  });

function feedParams(symbol?: string): string {
  const params = new URLSearchParams({ limit: String(symbol === undefined ? FEED_LIMIT : MARKER_LIMIT) });
  if (symbol !== undefined) params.set("symbol", symbol);
  return params.toString();
}
