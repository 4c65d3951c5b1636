import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { ApiError, getJson } from "./client";
import { unlessStreaming } from "./stream-state";
import type {
  Alert,
  Bar,
  BarInterval,
  CommandPage,
  CommandRecord,
  EquityPage,
  EquityPoint,
  Fill,
  Health,
  Instrument,
  OrderPage,
  Portfolio,
  Quote,
  OrderState,
  Signal,
  SignalPage,
  Strategy,
  StrategyKind,
  TradePage,
} from "./types";

/**
 * One queryOptions factory per API resource: components, selects and prefetching take keys from
 * here, and keys are hierarchical (`['bars', symbol, interval]` sits under `['bars']`), so a
 * resource can be refetched or invalidated at any level.
 */

/**
 * Live data is polled about once a second (the simulator publishes 20 quotes/s per symbol) while
 * the stream is not live; while it is, the stream feeds these queries and they do not poll
 * (unlessStreaming, stream.ts).
 */
const LIVE_MS = 1_000;
/** Health changes rarely; a slower poll is enough to notice a service going down. */
const HEALTH_MS = 5_000;
/** Every loaded page of trades is fetched again on each poll: slower than the live feeds. */
const HISTORY_MS = 5_000;

/** Bars per chart: 5 minutes of 1s bars, 5 hours of 1m bars. */
export const BAR_LIMIT = 300;
/** Feed entries across all symbols. */
export const FEED_LIMIT = 30;
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
    refetchInterval: unlessStreaming(LIVE_MS),
  });

export const barsQuery = (symbol: string, interval: BarInterval) =>
  queryOptions({
    queryKey: ["bars", symbol, interval],
    queryFn: ({ signal }) =>
      getJson<Bar[]>(`/api/bars/${encodeURIComponent(symbol)}?interval=${interval}&limit=${BAR_LIMIT}`, signal),
    refetchInterval: unlessStreaming(LIVE_MS),
  });

/** The latest signals of every symbol, for the feed. The cache holds the API's page; the feed reads its items. */
export const signalsQuery = () =>
  queryOptions({
    queryKey: ["signals"],
    queryFn: ({ signal }) => getJson<SignalPage>(`/api/signals?${feedParams()}`, signal),
    select: (page) => page.items,
    refetchInterval: unlessStreaming(LIVE_MS),
  });

/** The latest orders of every symbol at their latest state (working, filled, canceled...), newest first, for the feed. */
export const ordersQuery = () =>
  queryOptions({
    queryKey: ["orders"],
    queryFn: ({ signal }) => getJson<OrderPage>(`/api/orders?${feedParams()}`, signal),
    select: (page) => page.items,
    refetchInterval: unlessStreaming(LIVE_MS),
  });

/** The states of an order that can still fill, so a cancel or a replace can still reach it. */
export const OPEN_STATUSES = [
  "working",
  "triggered",
  "partially-filled",
] as const satisfies readonly OrderState["status"][];
/** Open orders per state: a page of the largest size the list route serves. */
const OPEN_LIMIT = 200;

/**
 * The orders that can still fill (working, triggered, partially filled), newest first: one page
 * per state, since the route filters by one state at a time. Under `['orders']`, so what
 * invalidates the orders invalidates these too.
 */
export const openOrdersQuery = () =>
  queryOptions({
    queryKey: ["orders", "open"],
    queryFn: async ({ signal }) => {
      const pages = await Promise.all(
        OPEN_STATUSES.map((status) => getJson<OrderPage>(`/api/orders?status=${status}&limit=${OPEN_LIMIT}`, signal)),
      );
      // an order that changed state between two of the requests is in both pages: its latest state wins
      const latest = new Map<string, OrderState>();
      for (const order of pages.flatMap((page) => page.items)) {
        const seen = latest.get(order.orderId);
        if (!seen || order.updatedAt > seen.updatedAt) latest.set(order.orderId, order);
      }
      return [...latest.values()].sort((a, b) => (b.submittedAt ?? b.updatedAt) - (a.submittedAt ?? a.updatedAt));
    },
    refetchInterval: unlessStreaming(LIVE_MS),
  });

/** A page of the chart's markers: the list routes' largest. */
const RANGE_PAGE = 1_000;
/** Pages of one marker range at most: a range busier than this keeps its newest events. */
const RANGE_PAGES = 10;

/**
 * Every signal or fill of one symbol since `from` (ms, inclusive), newest first, for the chart's
 * markers: page after page (`next`) until the last, at most RANGE_PAGES of RANGE_PAGE. Keyed
 * under `['signals', symbol]` and `['fills', symbol]`, so what invalidates those invalidates these.
 * The chart passes a `from` that moves in coarse steps (markerRangeStart), not every bar.
 */
export const signalsRangeQuery = (symbol: string, from: number) =>
  queryOptions({
    queryKey: ["signals", symbol, { from }],
    queryFn: ({ signal }) => allPages<Signal>("/api/signals", symbol, from, signal),
    refetchInterval: unlessStreaming(LIVE_MS),
  });

export const fillsRangeQuery = (symbol: string, from: number) =>
  queryOptions({
    queryKey: ["fills", symbol, { from }],
    queryFn: ({ signal }) => allPages<Fill>("/api/fills", symbol, from, signal),
    refetchInterval: unlessStreaming(LIVE_MS),
  });

async function allPages<T>(path: string, symbol: string, from: number, signal: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < RANGE_PAGES; page += 1) {
    const params = new URLSearchParams({ symbol, from: String(from), limit: String(RANGE_PAGE) });
    if (cursor !== null) params.set("cursor", cursor);
    const answer: { items: T[]; next: string | null } = await getJson(`${path}?${params}`, signal);
    items.push(...answer.items);
    cursor = answer.next;
    if (cursor === null) break;
  }
  return items;
}

/**
 * Where the chart's marker range starts for bars starting at `firstStart`: floored to 100 bars of
 * the interval, so the range's key (and its request) changes every 100 bars, not on every poll
 * as the window of bars slides. Events before the first bar are then left out by eventsByBar.
 */
export function markerRangeStart(firstStart: number, intervalMs: number): number {
  const step = intervalMs * 100;
  return Math.floor(firstStart / step) * step;
}

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
    refetchInterval: unlessStreaming(HISTORY_MS),
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
    refetchInterval: unlessStreaming(LIVE_MS),
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
    refetchInterval: unlessStreaming(LIVE_MS),
  });

export const alertsQuery = () =>
  queryOptions({
    queryKey: ["alerts"],
    queryFn: ({ signal }) => getJson<Alert[]>(`/api/alerts?limit=${FEED_LIMIT}`, signal),
    refetchInterval: unlessStreaming(LIVE_MS),
  });

/** The strategy kinds and their parameters' JSON Schema: fixed by the engine's code. */
export const strategyKindsQuery = () =>
  queryOptions({
    queryKey: ["strategy-kinds"],
    queryFn: ({ signal }) => getJson<StrategyKind[]>("/api/strategy-kinds", signal),
    staleTime: Number.POSITIVE_INFINITY,
  });

/** How often a command is asked for its outcome after its 202, and for how long. */
export const COMMAND_POLL_MS = 300;
export const COMMAND_WAIT_MS = 15_000;
/**
 * The audit knows a command once the projector has written it: until then GET answers 404
 * unknown-command, which means "not yet" this long after the 202, and "unknown" after.
 */
export const COMMAND_UNSEEN_MS = 5_000;

/** A command's state as the dashboard sees it: its audit record, or null while the audit has not seen it yet. */
export type CommandView = CommandRecord | null;

/**
 * One command's outcome, polled every COMMAND_POLL_MS from `since` (when its 202 came) until
 * it is applied or rejected, for at most COMMAND_WAIT_MS. A settled command never changes again.
 */
export const commandQuery = (commandId: string, since: number) =>
  queryOptions({
    queryKey: ["commands", commandId],
    queryFn: async ({ signal }): Promise<CommandView> => {
      try {
        return await getJson<CommandRecord>(`/api/commands/${encodeURIComponent(commandId)}`, signal);
      } catch (error) {
        if (
          error instanceof ApiError &&
          error.status === 404 &&
          error.code === "unknown-command" &&
          Date.now() - since < COMMAND_UNSEEN_MS
        )
          return null;
        throw error;
      }
    },
    refetchInterval: (query) =>
      settled(query.state.data) || Date.now() - since >= COMMAND_WAIT_MS ? false : COMMAND_POLL_MS,
    staleTime: (query) => (settled(query.state.data) ? Number.POSITIVE_INFINITY : 0),
  });

function settled(command: CommandView | undefined): boolean {
  return command !== undefined && command !== null && command.status !== "pending";
}

/** What the command log filters by. */
export interface CommandFilters {
  strategy?: string;
  status?: CommandRecord["status"];
  kind?: CommandRecord["kind"];
}

/** The audit: the latest commands of everyone, newest first (who sent what, and what became of it). */
export const commandsQuery = (filters: CommandFilters = {}) =>
  queryOptions({
    queryKey: ["commands", filters],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(filters)) if (value !== undefined) params.set(name, value);
      params.set("limit", String(FEED_LIMIT));
      return getJson<CommandPage>(`/api/commands?${params.toString()}`, signal);
    },
    select: (page) => page.items,
    refetchInterval: unlessStreaming(HISTORY_MS),
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

function feedParams(): string {
  return new URLSearchParams({ limit: String(FEED_LIMIT) }).toString();
}

/** Pages of one equity range at most (the chart markers' cap): a 1s strategy samples 3,600 times an hour. */
const EQUITY_PAGES = 10;

/**
 * One strategy's equity samples since `from` (ms, inclusive), oldest first, for the strategy
 * comparison: page after page (`next`) up to EQUITY_PAGES of RANGE_PAGE (a range busier than
 * that keeps its oldest samples). The comparison passes a `from` that moves in coarse steps
 * (comparisonFrom). Polled with the history routes: a sample comes once per closed bar.
 */
export const equityRangeQuery = (strategy: string, from: number) =>
  queryOptions({
    queryKey: ["equity", strategy, { from }],
    queryFn: async ({ signal }) => {
      const items: EquityPoint[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < EQUITY_PAGES; page += 1) {
        const params = new URLSearchParams({ strategy, from: String(from), limit: String(RANGE_PAGE) });
        if (cursor !== null) params.set("cursor", cursor);
        const answer: EquityPage = await getJson(`/api/equity?${params}`, signal);
        items.push(...answer.items);
        cursor = answer.next;
        if (cursor === null) break;
      }
      return items;
    },
    refetchInterval: HISTORY_MS,
  });

/**
 * The mid of `symbol`'s first quote of the UTC day starting at `dayStart` (ms, a UTC midnight),
 * from the read side's closed bars (a bar's open is the mid of its first quote): null until the
 * day's first 1m bar has closed. Cached for the day once found (the key holds the day); asked
 * again every minute until then.
 */
export const dayOpenQuery = (symbol: string, dayStart: number) =>
  queryOptions({
    queryKey: ["day-open", symbol, dayStart],
    queryFn: async ({ signal }): Promise<number | null> => {
      const path = `/api/bars/${encodeURIComponent(symbol)}`;
      const [fiveMinute, oneMinute] = dayOpenRequests(dayStart);
      const coarse = await getJson<Bar[]>(`${path}?${fiveMinute}`, signal);
      if (coarse.length > 0) return dayOpen(coarse, dayStart);
      // no 5m bar of the day has closed yet: the day's quotes all lie in its forming 5m bar, so
      // its closed 1m bars are fewer than 5; 5 of them means a 5m bar closed in between: ask again
      const fine = await getJson<Bar[]>(`${path}?${oneMinute}`, signal);
      return fine.length < DAY_OPEN_FINE_LIMIT ? dayOpen(fine, dayStart) : null;
    },
    staleTime: (query) => (query.state.data == null ? 0 : Number.POSITIVE_INFINITY),
    refetchInterval: (query) => (query.state.data == null ? DAY_OPEN_RETRY_MS : false),
  });

/** How often the day's open is asked for while the read side has no bar of the day yet. */
const DAY_OPEN_RETRY_MS = 60_000;

const MINUTE_MS = 60_000;
/** The 1m bars asked for before the day's first 5m bar has closed: at most 4 can have closed by then. */
const DAY_OPEN_FINE_LIMIT = 5;
const DAY_MS = 86_400_000;

/** The UTC midnight that starts the day of `ms`: the day the quotes board measures its change from. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * The two bar requests that find a day's first quote. The bars route answers the latest `limit`
 * bars of [from, to), so the first bar of the day needs a range that holds all of them: the
 * day's 5m bars (288 at most); and, before the first of those has closed, the 1m bars of the
 * day's first five minutes with quotes, which all lie in that forming 5m bar (fewer than 5).
 */
export function dayOpenRequests(dayStart: number): [fiveMinute: string, oneMinute: string] {
  const range = (interval: string, limit: number) =>
    new URLSearchParams({
      interval,
      from: String(dayStart),
      to: String(dayStart + DAY_MS),
      limit: String(limit),
    }).toString();
  return [range("5m", DAY_MS / (5 * MINUTE_MS)), range("1m", DAY_OPEN_FINE_LIMIT)];
}

/** The open of the earliest of these bars that starts in the day: the mid of the day's first quote. Null without one. */
export function dayOpen(bars: readonly Bar[], dayStart: number): number | null {
  let first: Bar | undefined;
  for (const bar of bars)
    if (bar.start >= dayStart && bar.start < dayStart + DAY_MS && (first === undefined || bar.start < first.start))
      first = bar;
  return first?.open ?? null;
}

/** A mid's change from the day's open, and in percent (as the market-data worker computes it from its own open). */
export function dayChange(mid: number, open: number): { change: number; changePct: number } {
  return { change: mid - open, changePct: Math.round(((mid - open) / open) * 1e6) / 1e4 };
}
