import type { InfiniteData, Query, QueryClient, QueryKey } from "@tanstack/react-query";
import { foldOrder } from "@tickflow/core";
import type { StreamEventMessage, StreamMessage } from "@tickflow/gateway/stream-schema";
import { API_URL } from "./client";
import {
  BAR_LIMIT,
  barsQuery,
  commandQuery,
  FEED_LIMIT,
  fillsRangeQuery,
  OPEN_STATUSES,
  openOrdersQuery,
  portfolioQuery,
  quotesQuery,
  signalsQuery,
  signalsRangeQuery,
  strategiesQuery,
  type CommandView,
} from "./queries";
import { setStreamState, type StreamState } from "./stream-state";
import {
  mergeAccount,
  mergeBar,
  mergeCommandPage,
  mergeFill,
  mergeOpenOrders,
  mergeOrderFeed,
  mergePage,
  mergePortfolio,
  mergePosition,
  mergeQuote,
  mergeSignal,
  settleCommand,
  type OrderEvent,
} from "./stream-merge";
import type {
  Bar,
  CommandPage,
  Fill,
  OrderPage,
  OrderState,
  Portfolio,
  Quote,
  Signal,
  SignalPage,
  Strategy,
  TradePage,
} from "./types";

/**
 * The live stream (DESIGN.md, The stream): one WebSocket per page, its messages applied to the
 * TanStack Query cache through the queryOptions factories, so the panels update without polling.
 *
 * - Locally it is the gateway's `GET /api/stream` (same origin, or VITE_API_URL's), with the
 *   session's token as `access_token`; after a drop it reconnects with exponential backoff and
 *   resumes with `since` = the highest `seq` seen, so the server replays what was missed; a
 *   `resync` (the position is gone) reloads the fed queries from REST.
 * - On AWS (VITE_STREAM_URL, VITE_STREAM_HOST) it is AppSync Events: no position (`seq` is 0),
 *   so every (re)connection reloads from REST and events are de-duplicated by id.
 *
 * While the stream is live the fed queries do not poll (stream-state.ts); when it drops they are
 * refetched, which starts their polling again until it is back.
 */

/** What the client needs of a WebSocket (the browser's, or a test's fake). */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, protocols?: string[]) => SocketLike;

/** Parses one message with the shared schema: null when it is not one. */
export type ParseMessage = (raw: unknown) => StreamMessage | null;

/** Reconnect waits: BASE_MS, doubled per failed attempt, at most MAX_MS, plus up to 20 % jitter. */
export const BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;
/** Failed attempts in a row after which the state says `polling` rather than `reconnecting`. */
export const POLLING_AFTER = 3;
/** How long received events are kept to re-apply them onto a REST answer that lags the stream. */
export const RECENT_MS = 10_000;
/** Event ids remembered to drop a duplicate (AWS delivers at least once; a reload replays). */
const SEEN_IDS = 5_000;

/** Where the stream is and how to speak to it. */
export type StreamEndpoint = { kind: "local"; url: string } | { kind: "appsync"; url: string; host: string };

/** The build's stream: AppSync Events when VITE_STREAM_URL is set, else the gateway's /api/stream. */
export function streamEndpoint(base: string = globalThis.location?.href ?? "http://localhost/"): StreamEndpoint {
  const aws = import.meta.env.VITE_STREAM_URL;
  const host = import.meta.env.VITE_STREAM_HOST;
  if (aws && host) return { kind: "appsync", url: aws, host };
  const url = new URL(`${API_URL}/api/stream`, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return { kind: "local", url: url.toString() };
}

export interface StreamClientOptions {
  endpoint: StreamEndpoint;
  socket: SocketFactory;
  parse: ParseMessage;
  /** Each event, once (duplicates dropped). */
  onEvent: (event: StreamEventMessage) => void;
  /** The cache may have missed events: reload what the stream feeds from REST. */
  onReload: () => void;
  /** The stream went down after being live: polling takes over (refetch the fed queries). */
  onDrop: () => void;
  /** The session's bearer token, if any (read on every connection). */
  token?: () => string | undefined;
  /** Jitter in [0, 1); 0 in tests. */
  random?: () => number;
  /** Where the state goes (the store the health bar and the queries read). */
  setState?: (state: StreamState) => void;
}

/**
 * The connection's state machine: polling → (hello) live → (close, or no message for twice the
 * heartbeat) reconnecting → (hello) live, or after POLLING_AFTER failures polling, retrying at
 * the backoff's pace.
 */
export class StreamClient {
  private socket: SocketLike | null = null;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private heartbeatMs = 15_000;
  private attempts = 0;
  private live = false;
  private stopped = true;
  /** The highest seq seen (local stream): `since` of the next connection. */
  private lastSeq: number | undefined;
  private readonly seen = new Set<string>();
  private state: StreamState = { status: "polling", attempts: 0, detail: null };

  constructor(private readonly options: StreamClientOptions) {}

  get since(): number | undefined {
    return this.lastSeq;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.watchdog);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close(1000, "page closed");
    }
    this.live = false;
    this.publish({ status: "polling", attempts: 0, detail: null });
  }

  /** Reconnects now, as a new session's token must be sent (a login, a logout). */
  restart(): void {
    this.stop();
    this.attempts = 0;
    this.start();
  }

  private publish(state: StreamState): void {
    this.state = state;
    (this.options.setState ?? setStreamState)(state);
  }

  private connect(): void {
    const { endpoint } = this.options;
    const token = this.options.token?.();
    let socket: SocketLike;
    try {
      if (endpoint.kind === "local") {
        const url = new URL(endpoint.url);
        if (this.lastSeq !== undefined) url.searchParams.set("since", String(this.lastSeq));
        if (token) url.searchParams.set("access_token", token);
        socket = this.options.socket(url.toString());
      } else {
        // AppSync reads the authorization from a subprotocol: `header-` + base64url of its JSON
        if (!token) {
          this.publish({ status: "polling", attempts: 0, detail: "log in to get the live stream" });
          return;
        }
        socket = this.options.socket(endpoint.url, [
          "aws-appsync-event-ws",
          `header-${base64url(auth(endpoint, token))}`,
        ]);
      }
    } catch (error) {
      this.dropped(`cannot open the stream: ${(error as Error).message}`);
      return;
    }
    this.socket = socket;
    const appsync = endpoint.kind === "appsync" ? new AppSyncSession(socket, endpoint, token!) : null;
    socket.onopen = () => appsync?.init();
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.dropped(`closed ${event.code}${event.reason ? `: ${event.reason}` : ""}`);
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      let raw: unknown;
      try {
        raw = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const messages = appsync ? appsync.receive(raw) : [raw];
      for (const message of messages) this.receive(message);
    };
  }

  private receive(raw: unknown): void {
    const message = this.options.parse(raw);
    if (!message) return;
    this.feedWatchdog();
    if (message.channel === "control") {
      if (message.type === "hello") {
        this.heartbeatMs = message.heartbeatMs;
        this.feedWatchdog();
        // a first connection, or one that cannot resume (AWS: no position), may have missed events
        const resumed = this.options.endpoint.kind === "local" && this.lastSeq !== undefined;
        this.raise(message.seq);
        this.live = true;
        this.attempts = 0;
        this.publish({ status: "live", attempts: 0, detail: null });
        if (!resumed) this.options.onReload();
      } else if (message.type === "resync") {
        this.raise(message.seq);
        this.options.onReload();
      } else this.raise(message.seq);
      return;
    }
    if (this.seen.has(message.id)) return;
    this.seen.add(message.id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    this.raise(message.seq);
    this.options.onEvent(message);
  }

  private raise(seq: number): void {
    if (this.options.endpoint.kind !== "local") return;
    if (this.lastSeq === undefined || seq > this.lastSeq) this.lastSeq = seq;
  }

  /** No message for twice the heartbeat: the connection is dead even if it did not say so. */
  private feedWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const socket = this.socket;
      if (!socket) return;
      this.socket = null;
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close(4000, "no heartbeat");
      this.dropped(`no message for ${(2 * this.heartbeatMs) / 1_000} s`);
    }, 2 * this.heartbeatMs);
  }

  private dropped(detail: string): void {
    clearTimeout(this.watchdog);
    const wasLive = this.live;
    this.live = false;
    if (this.stopped) return;
    this.attempts += 1;
    this.publish({
      status: this.attempts >= POLLING_AFTER ? "polling" : "reconnecting",
      attempts: this.attempts,
      detail,
    });
    if (wasLive) this.options.onDrop();
    const wait = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (this.attempts - 1));
    const jitter = wait * 0.2 * (this.options.random ?? Math.random)();
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, wait + jitter);
  }
}

function auth(endpoint: { host: string }, token: string) {
  return { host: endpoint.host, Authorization: token };
}

function base64url(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The stream channels, as AppSync namespaces: the dashboard subscribes to every path of each. */
const APPSYNC_CHANNELS = [
  "quotes",
  "bars",
  "signals",
  "orders",
  "trades",
  "positions",
  "equity",
  "risk",
  "commands",
] as const;

/**
 * AppSync Events' WebSocket protocol, turned into the local stream's messages: connection_ack
 * and the subscriptions' success make the `hello` (its heartbeat half the connection timeout),
 * each `ka` a heartbeat, each `data` its event (a JSON string of the stream schema's message).
 */
class AppSyncSession {
  private pending = new Set<string>();
  private heartbeatMs = 150_000;

  constructor(
    private readonly socket: SocketLike,
    private readonly endpoint: { host: string },
    private readonly token: string,
  ) {}

  init(): void {
    this.socket.send(JSON.stringify({ type: "connection_init" }));
  }

  receive(raw: unknown): unknown[] {
    const message = raw as { type?: string; id?: string; event?: unknown; connectionTimeoutMs?: number };
    switch (message.type) {
      case "connection_ack": {
        this.heartbeatMs = Math.max(1_000, Math.floor((message.connectionTimeoutMs ?? 300_000) / 2));
        for (const channel of APPSYNC_CHANNELS) {
          const id = `${channel}-${Math.random().toString(36).slice(2)}`;
          this.pending.add(id);
          this.socket.send(
            JSON.stringify({
              type: "subscribe",
              id,
              channel: `/${channel}/*`,
              authorization: auth(this.endpoint, this.token),
            }),
          );
        }
        return [];
      }
      case "subscribe_success":
        if (message.id) this.pending.delete(message.id);
        return this.pending.size === 0
          ? [
              {
                channel: "control",
                type: "hello",
                seq: 0,
                channels: [...APPSYNC_CHANNELS],
                heartbeatMs: this.heartbeatMs,
              },
            ]
          : [];
      case "subscribe_error":
      case "connection_error":
      case "error":
        this.socket.close(4001, `AppSync: ${message.type}`);
        return [];
      case "ka":
        return [{ channel: "control", type: "heartbeat", seq: 0, ts: Date.now() }];
      case "data": {
        try {
          return [typeof message.event === "string" ? JSON.parse(message.event) : message.event];
        } catch {
          return [];
        }
      }
      default:
        return [];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The cache: each event through the queryOptions factories' keys.

/** The first segment of every query key the stream feeds: what a reload refetches. */
export const FED_KEYS = [
  "quotes",
  "bars",
  "signals",
  "orders",
  "fills",
  "trades",
  "strategies",
  "portfolio",
  "alerts",
  "commands",
] as const;

function isFed(key: QueryKey): boolean {
  return (FED_KEYS as readonly unknown[]).includes(key[0]);
}

/** Refetches every active query the stream feeds (a reload, or polling taking over after a drop). */
export function reloadFed(client: QueryClient): void {
  void client.invalidateQueries({ predicate: (query) => isFed(query.queryKey) });
}

/** A filter's object at position `at` of a key (`['signals', symbol, { from }]`). */
function objectAt(key: QueryKey, at: number): Record<string, unknown> | undefined {
  const value = key[at];
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

/**
 * Applies stream events to a QueryClient's cache: merges what merges exactly (stream-merge.ts),
 * refetches the rest shortly after (the read side writes what the stream carries a little later).
 * Events of the last RECENT_MS are kept and applied again onto every REST answer of a fed query,
 * so a poll or reload that lags the stream does not undo them (every merge is idempotent).
 */
export class CacheApplier {
  /** Orders seen on the stream at their latest state: the fold of their next event. */
  private readonly orders = new Map<string, OrderState>();
  private readonly recent: { at: number; event: StreamEventMessage }[] = [];
  /** The latest quote per symbol, re-applied like the recent events. */
  private readonly quotes = new Map<string, StreamEventMessage>();
  private readonly later = new Map<string, QueryKey>();
  private laterTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** While re-applying onto one query's REST answer: only that key is written, nothing refetched. */
  private scope: QueryKey | undefined;

  constructor(
    private readonly client: QueryClient,
    private readonly refetchDelayMs = 750,
  ) {}

  /** Re-applies the recent events onto each REST answer of a fed query. */
  watch(): () => void {
    this.unsubscribe?.();
    this.unsubscribe = this.client.getQueryCache().subscribe((event) => {
      if (event.type !== "updated" || event.action.type !== "success" || event.action.manual) return;
      const query = event.query as Query;
      if (!isFed(query.queryKey)) return;
      queueMicrotask(() => this.reapply(query.queryKey));
    });
    return () => {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      clearTimeout(this.laterTimer);
    };
  }

  private reapply(key: QueryKey): void {
    const now = Date.now();
    while (this.recent.length > 0 && now - this.recent[0]!.at > RECENT_MS) this.recent.shift();
    this.scope = key;
    try {
      for (const event of this.quotes.values()) this.apply(event);
      for (const { event } of this.recent) this.apply(event);
    } finally {
      this.scope = undefined;
    }
  }

  /** One event, as it arrives. */
  receive(event: StreamEventMessage): void {
    if (event.type === "quote.tick") this.quotes.set(event.data.symbol, event);
    else {
      this.recent.push({ at: Date.now(), event });
      if (this.recent.length > 5_000) this.recent.shift();
    }
    this.apply(event);
  }

  private set<T>(key: QueryKey, update: (data: T) => T | undefined): void {
    if (this.scope && JSON.stringify(this.scope) !== JSON.stringify(key)) return;
    const data = this.client.getQueryData<T>(key);
    if (data === undefined) return;
    const next = update(data);
    if (next === undefined) this.refetch(key);
    else if (next !== data) this.client.setQueryData<T>(key, next);
  }

  /** Every cached key under `prefix`, for the ranges (`['fills', symbol]` then `{ from }`). */
  private keys(prefix: QueryKey): QueryKey[] {
    return this.client.getQueriesData({ queryKey: prefix }).map(([key]) => key);
  }

  /** Refetches `key` (exactly) shortly: the read side is a little behind the stream. */
  private refetch(key: QueryKey): void {
    if (this.scope) return;
    this.later.set(JSON.stringify(key), key);
    if (this.laterTimer !== undefined) return;
    this.laterTimer = setTimeout(() => {
      this.laterTimer = undefined;
      const keys = [...this.later.values()];
      this.later.clear();
      for (const queryKey of keys) void this.client.invalidateQueries({ queryKey, exact: true });
    }, this.refetchDelayMs);
  }

  private apply(event: StreamEventMessage): void {
    switch (event.channel) {
      case "quotes":
        return this.set<Quote[]>(
          quotesQuery().queryKey,
          (quotes) => mergeQuote(quotes, event.data) as Quote[] | undefined,
        );
      case "bars":
        return this.set<Bar[]>(
          barsQuery(event.data.symbol, event.data.interval).queryKey,
          (bars) => mergeBar(bars, event.data, BAR_LIMIT) as typeof bars,
        );
      case "signals":
        return this.signal(event.data);
      case "orders":
        return this.order(event);
      case "trades":
        for (const key of this.keys(["trades"])) {
          const filters = objectAt(key, 1) ?? {};
          const trade = event.data;
          if (
            (filters.strategy && filters.strategy !== trade.strategyId) ||
            (filters.symbol && filters.symbol !== trade.symbol)
          )
            continue;
          this.set<InfiniteData<TradePage>>(key, (data) => {
            if (data.pages.some((p) => p.items.some((t) => t.tradeId === trade.tradeId))) return data;
            const [first, ...rest] = data.pages;
            if (!first) return data;
            return { ...data, pages: [{ ...first, items: [trade, ...first.items] }, ...rest] };
          });
        }
        return;
      case "positions":
        this.set<Strategy[]>(
          strategiesQuery().queryKey,
          (all) => mergePosition(all, event.data) as typeof all | undefined,
        );
        if (this.client.getQueryData(["positions"]) !== undefined) this.refetch(["positions"]);
        return;
      case "equity":
        if (event.type === "equity.sampled")
          this.set<Strategy[]>(
            strategiesQuery().queryKey,
            (all) => mergeAccount(all, event.data) as typeof all | undefined,
          );
        this.set<Portfolio | null>(portfolioQuery().queryKey, (portfolio) =>
          portfolio === null ? undefined : mergePortfolio(portfolio, event),
        );
        return;
      case "risk":
        this.refetch(["alerts"]);
        this.refetch(strategiesQuery().queryKey);
        return;
      case "commands":
        return this.command(event);
    }
  }

  private signal(signal: Signal): void {
    this.set<SignalPage>(signalsQuery().queryKey, (page) => mergePage(page, signal, (s) => s.signalId, FEED_LIMIT));
    for (const key of this.keys(["signals", signal.symbol])) {
      const from = objectAt(key, 2)?.from;
      if (typeof from !== "number") continue;
      this.set<Signal[]>(
        signalsRangeQuery(signal.symbol, from).queryKey,
        (list) => mergeSignal(list, signal, signal.symbol, from) as Signal[],
      );
    }
  }

  private order(event: OrderEvent): void {
    const id = event.data.orderId;
    const feedKey = ["orders"] as const;
    const openKey = openOrdersQuery().queryKey;
    const inFeed = this.client.getQueryData<OrderPage>(feedKey)?.items.find((o) => o.orderId === id);
    const inOpen = this.client.getQueryData<OrderState[]>(openKey)?.find((o) => o.orderId === id);
    const known = this.orders.get(id);
    const state = foldOrder(inFeed ?? inOpen ?? known, event);
    this.orders.set(id, state);
    if (this.orders.size > 2_000) this.orders.delete(this.orders.keys().next().value!);
    // a new order goes first in the feed; an event of an order it does not hold, of an older order: refetch
    this.set<OrderPage>(feedKey, (page) =>
      page.items.some((o) => o.orderId === id) || event.type === "order.submitted"
        ? mergeOrderFeed(page, state, FEED_LIMIT)
        : undefined,
    );
    this.set<OrderState[]>(openKey, (open) => {
      const isOpen = (OPEN_STATUSES as readonly string[]).includes(state.status);
      // an order that opens without its submission known here: only the read side has all of it
      if (isOpen && !open.some((o) => o.orderId === id) && state.type === null) return undefined;
      return mergeOpenOrders(open, state, OPEN_STATUSES) as OrderState[];
    });
    if (event.type === "order.filled") this.fill(event.data);
  }

  private fill(fill: Fill): void {
    for (const key of this.keys(["fills", fill.symbol])) {
      const from = objectAt(key, 2)?.from;
      if (typeof from !== "number") continue;
      this.set<Fill[]>(
        fillsRangeQuery(fill.symbol, from).queryKey,
        (list) => mergeFill(list, fill, fill.symbol, from) as Fill[],
      );
    }
  }

  private command(event: Extract<StreamEventMessage, { channel: "commands" }>): void {
    const outcome = event.data;
    // the command polled by its feed entry: settled here, so its polling stops
    this.set<CommandView>(commandQuery(outcome.commandId, 0).queryKey, (record) =>
      record === null ? undefined : settleCommand(record, event.type, outcome),
    );
    for (const key of this.keys(["commands"])) {
      if (objectAt(key, 1) === undefined) continue;
      this.set<CommandPage>(key, (page) => mergeCommandPage(page, event.type, outcome));
    }
    // what a command changes of a strategy (status, parameters, the list) is not on the stream
    if (outcome.kind.startsWith("strategy.") || outcome.kind === "risk.reset") this.refetch(strategiesQuery().queryKey);
  }
}
