import { queryOptions } from "@tanstack/react-query";
import { getJson } from "./client";
import type {
  Alert,
  Bar,
  BarInterval,
  Health,
  Instrument,
  OrderEvent,
  Portfolio,
  Quote,
  Signal,
  Strategy,
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

/** Bars per chart: 5 minutes of 1s bars, 5 hours of 1m bars. */
const BAR_LIMIT = 300;
/** Feed entries across all symbols. */
const FEED_LIMIT = 30;
/** Signals and fills of one symbol, enough to mark the bars on the chart. */
const MARKER_LIMIT = 200;

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

/** The latest signals: of every symbol for the feed, or of one symbol for its chart. */
export const signalsQuery = (symbol?: string) =>
  queryOptions({
    queryKey: symbol === undefined ? ["signals"] : ["signals", symbol],
    queryFn: ({ signal }) => getJson<Signal[]>(`/api/signals?${feedParams(symbol)}`, signal),
    refetchInterval: LIVE_MS,
  });

/** The latest order events of every symbol (submitted, filled, rejected), for the feed. */
export const ordersQuery = () =>
  queryOptions({
    queryKey: ["orders"],
    queryFn: ({ signal }) => getJson<OrderEvent[]>(`/api/orders?${feedParams()}`, signal),
    refetchInterval: LIVE_MS,
  });

/**
 * One symbol's latest fills, for the chart's markers. The API filters them (type=filled): out of
 * all order events, submissions and rejections would crowd the older fills out of the limit.
 */
export const fillsQuery = (symbol: string) =>
  queryOptions({
    queryKey: ["orders", symbol, "filled"],
    queryFn: ({ signal }) => getJson<OrderEvent[]>(`/api/orders?${feedParams(symbol, { type: "filled" })}`, signal),
    refetchInterval: LIVE_MS,
  });

export const strategiesQuery = () =>
  queryOptions({
    queryKey: ["strategies"],
    queryFn: ({ signal }) => getJson<Strategy[]>("/api/strategies", signal),
    refetchInterval: LIVE_MS,
  });

export const portfolioQuery = () =>
  queryOptions({
    queryKey: ["portfolio"],
    queryFn: ({ signal }) => getJson<Portfolio>("/api/portfolio", signal),
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

function feedParams(symbol?: string, filters: Record<string, string> = {}): string {
  const params = new URLSearchParams({ limit: String(symbol === undefined ? FEED_LIMIT : MARKER_LIMIT) });
  if (symbol !== undefined) params.set("symbol", symbol);
  for (const [name, value] of Object.entries(filters)) params.set(name, value);
  return params.toString();
}
