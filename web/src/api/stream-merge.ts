import type { StreamEventMessage } from "@tickflow/gateway/stream-schema";
import type { Bar, CommandRecord, Fill, OrderState, Portfolio, Quote, Signal, Strategy } from "./types";

/**
 * Pure merges of stream events into what the REST routes answered, so the cache looks as the
 * next poll would have made it: each takes the cached value and one event and returns the next
 * value, the same value when the event changes nothing (already applied, older, not of this
 * list), or `undefined` when the event cannot be merged exactly (the caller refetches).
 */

/** The data of one stream event type. */
export type EventData<T extends StreamEventMessage["type"]> = Extract<StreamEventMessage, { type: T }>["data"];

/** Digits after the point of a price as JavaScript prints it (a grid price prints exactly). */
function decimals(value: number): number {
  const text = String(value);
  const exponent = /e-(\d+)$/.exec(text);
  if (exponent) return Number(exponent[1]) + (text.split("e")[0]!.split(".")[1]?.length ?? 0);
  return text.split(".")[1]?.length ?? 0;
}

/**
 * (bid + ask) / 2 on the prices' decimal grid, as the API computes `mid`: (100 + 100.02) / 2 is
 * 100.01, not 100.00999999999999.
 */
export function midOf(bid: number, ask: number): number {
  const scale = 10 ** Math.max(decimals(bid), decimals(ask));
  return (Math.round(bid * scale) + Math.round(ask * scale)) / (2 * scale);
}

const DAY_MS = 86_400_000;

/**
 * The quotes board after a quote tick: its symbol's row takes the tick's prices, sizes, seq and
 * time, and the change from the day's open (a tick of a later UTC day than the row is that day's
 * first quote: it is the open). An older tick (seq and time no later) changes nothing; a symbol the board does
 * not have yet is `undefined` (the board is in universe order: refetch it).
 */
export function mergeQuote(quotes: readonly Quote[], tick: EventData<"quote.tick">): readonly Quote[] | undefined {
  const index = quotes.findIndex((q) => q.symbol === tick.symbol);
  if (index < 0) return undefined;
  const row = quotes[index]!;
  // an older tick (a restarted feed starts its seq again at 1, but its time moves on)
  if (tick.seq <= row.seq && tick.tsEvent <= row.tsEvent) return quotes;
  const mid = midOf(tick.bid, tick.ask);
  const newDay = Math.floor(tick.tsEvent / DAY_MS) > Math.floor(row.tsEvent / DAY_MS);
  const open = newDay ? mid : row.open;
  const next: Quote = {
    ...row,
    bid: tick.bid,
    ask: tick.ask,
    mid,
    bidSize: tick.bidSize,
    askSize: tick.askSize,
    seq: tick.seq,
    tsEvent: tick.tsEvent,
    open,
    change: mid - open,
    changePct: open === 0 ? 0 : ((mid - open) / open) * 100,
  };
  return quotes.map((q, i) => (i === index ? next : q));
}

/**
 * Closed bars, oldest first, at most `limit` (the bars route's window), after a bar.closed: a
 * new bar is appended (in its place if it is not the latest), the same start replaces, and the
 * oldest drop off past `limit`.
 */
export function mergeBar(bars: readonly Bar[], bar: Bar, limit: number): readonly Bar[] {
  const at = bars.findIndex((b) => b.start === bar.start);
  if (at >= 0) {
    const old = bars[at]!;
    if (old.tickCount === bar.tickCount && old.close === bar.close && old.end === bar.end) return bars;
    return bars.map((b, i) => (i === at ? bar : b));
  }
  const next = [...bars, bar].sort((a, b) => a.start - b.start);
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/**
 * A newest-first list after an event that is one of its items: a new item goes first (the stream
 * delivers in the order the read side stores, which lists by that order, newest first), one
 * already there changes nothing (the same event arriving twice, or from a poll and the stream),
 * and the list keeps at most `limit` items (undefined: no limit).
 */
export function prependNew<T>(items: readonly T[], item: T, key: (item: T) => string, limit?: number): readonly T[] {
  const id = key(item);
  if (items.some((i) => key(i) === id)) return items;
  const next = [item, ...items];
  return limit !== undefined && next.length > limit ? next.slice(0, limit) : next;
}

/** A fill's identity: an order fills in parts, numbered from 1. */
export const fillKey = (fill: Pick<Fill, "orderId" | "fillNo">) => `${fill.orderId}:${fill.fillNo}`;

/** The chart's fills of one symbol since `from` (newest first) after an order.filled. */
export function mergeFill(fills: readonly Fill[], fill: Fill, symbol: string, from: number): readonly Fill[] {
  if (fill.symbol !== symbol || fill.tsEvent < from) return fills;
  return prependNew(fills, fill, fillKey);
}

/** The chart's signals of one symbol since `from` (newest first) after a signal.generated. */
export function mergeSignal(
  signals: readonly Signal[],
  signal: Signal,
  symbol: string,
  from: number,
): readonly Signal[] {
  if (signal.symbol !== symbol || signal.tsEvent < from) return signals;
  return prependNew(signals, signal, (s) => s.signalId);
}

/** A history page (`{ items, next }`, newest first, `limit` items) after one of its events. */
export function mergePage<T>(
  page: { items: T[]; next: string | null },
  item: T,
  key: (item: T) => string,
  limit: number,
): { items: T[]; next: string | null } {
  const items = prependNew(page.items, item, key, limit);
  return items === page.items ? page : { ...page, items: [...items] };
}

export type OrderEvent = Extract<StreamEventMessage, { channel: "orders" }>;

/**
 * The orders feed (`['orders']`: the latest `limit` orders, newest first, in the order the read
 * side first stored them) after an order's new state: it replaces the order where it is, or goes
 * first when it is new (an order's first event is its newest).
 */
export function mergeOrderFeed(
  page: { items: OrderState[]; next: string | null },
  order: OrderState,
  limit: number,
): { items: OrderState[]; next: string | null } {
  const at = page.items.findIndex((o) => o.orderId === order.orderId);
  if (at < 0) return mergePage(page, order, (o) => o.orderId, limit);
  if (sameOrder(page.items[at]!, order)) return page;
  return { ...page, items: page.items.map((o, i) => (i === at ? order : o)) };
}

/**
 * The open orders (`['orders', 'open']`: working, triggered, partially filled, newest submitted
 * first) after an order's new state: it stays, joins or leaves by its status.
 */
export function mergeOpenOrders(
  orders: readonly OrderState[],
  order: OrderState,
  open: readonly OrderState["status"][],
): readonly OrderState[] {
  const at = orders.findIndex((o) => o.orderId === order.orderId);
  const isOpen = open.includes(order.status);
  if (at >= 0 && !isOpen) return orders.filter((o) => o.orderId !== order.orderId);
  if (!isOpen) return orders;
  if (at >= 0 && sameOrder(orders[at]!, order)) return orders;
  const rest = orders.filter((o) => o.orderId !== order.orderId);
  const time = (o: OrderState) => o.submittedAt ?? o.updatedAt;
  return [...rest, order].sort((a, b) => time(b) - time(a));
}

function sameOrder(a: OrderState, b: OrderState): boolean {
  return (Object.keys(a) as (keyof OrderState)[]).every((k) => a[k] === b[k]);
}

export type CommandOutcome = EventData<"command.applied"> | EventData<"command.rejected">;

/** A command's audit record after its outcome; a record already settled, or of another command, stays. */
export function settleCommand(
  record: CommandRecord,
  type: "command.applied" | "command.rejected",
  outcome: CommandOutcome,
): CommandRecord {
  if (record.commandId !== outcome.commandId || record.status !== "pending") return record;
  const rejected = type === "command.rejected" && "reason" in outcome;
  return {
    ...record,
    status: rejected ? "rejected" : "applied",
    reason: rejected ? outcome.reason : null,
    detail: rejected ? outcome.detail : null,
    orderId: outcome.orderId ?? record.orderId,
    appliedAt: outcome.tsEvent,
  };
}

/** The audit's page after an outcome: the command's row settles; undefined when the page does not have it. */
export function mergeCommandPage(
  page: { items: CommandRecord[]; next: string | null },
  type: "command.applied" | "command.rejected",
  outcome: CommandOutcome,
): { items: CommandRecord[]; next: string | null } | undefined {
  const at = page.items.findIndex((c) => c.commandId === outcome.commandId);
  if (at < 0) return undefined;
  const settled = settleCommand(page.items[at]!, type, outcome);
  if (settled === page.items[at]) return page;
  return { ...page, items: page.items.map((c, i) => (i === at ? settled : c)) };
}

function withoutTimes<T extends { tsEvent: number; tsInit: number }>(data: T): Omit<T, "tsEvent" | "tsInit"> {
  const { tsEvent: _tsEvent, tsInit: _tsInit, ...rest } = data;
  return rest;
}

/**
 * The strategies after an equity.sampled: the strategy's account totals are the sample's (what
 * the strategy worker answers between two samples is newer; the next sample catches up). A
 * strategy the list does not have is `undefined` (a new strategy: refetch).
 */
export function mergeAccount(
  strategies: readonly Strategy[],
  sample: EventData<"equity.sampled">,
): readonly Strategy[] | undefined {
  const at = strategies.findIndex((s) => s.id === sample.strategyId);
  if (at < 0) return undefined;
  const portfolio = withoutTimes(sample);
  return strategies.map((s, i) =>
    i === at
      ? {
          ...s,
          portfolio,
          status: portfolio.halted ? "halted" : s.paused ? "paused" : "running",
        }
      : s,
  );
}

/** The strategies after a position.changed: that strategy's position in that symbol is the event's. */
export function mergePosition(
  strategies: readonly Strategy[],
  change: EventData<"position.changed">,
): readonly Strategy[] | undefined {
  const at = strategies.findIndex((s) => s.id === change.strategyId);
  if (at < 0) return undefined;
  const { strategyId: _strategyId, ...position } = withoutTimes(change);
  const strategy = strategies[at]!;
  const has = strategy.positions.some((p) => p.symbol === change.symbol);
  const positions = has
    ? strategy.positions.map((p) => (p.symbol === change.symbol ? position : p))
    : [...strategy.positions, position];
  return strategies.map((s, i) => (i === at ? { ...s, positions } : s));
}

/** Points of the portfolio's equity curve the portfolio route answers (the gateway's CURVE_POINTS). */
export const CURVE_POINTS = 500;

/**
 * The portfolio after a sample: a portfolio.sampled sets the totals and adds a point to the
 * curve (the oldest drop off past CURVE_POINTS); an equity.sampled sets that strategy's account.
 * An older sample than the curve's last changes nothing.
 */
export function mergePortfolio(
  portfolio: Portfolio,
  event:
    | { type: "portfolio.sampled"; data: EventData<"portfolio.sampled"> }
    | { type: "equity.sampled"; data: EventData<"equity.sampled"> },
): Portfolio | undefined {
  if (event.type === "equity.sampled") {
    const at = portfolio.strategies.findIndex((s) => s.strategyId === event.data.strategyId);
    if (at < 0) return undefined;
    const account = withoutTimes(event.data);
    return { ...portfolio, strategies: portfolio.strategies.map((s, i) => (i === at ? account : s)) };
  }
  const last = portfolio.equityCurve.at(-1);
  if (last && event.data.tsEvent <= last.ts) return portfolio;
  const curve = [
    ...portfolio.equityCurve,
    { ts: event.data.tsEvent, equity: event.data.equity, drawdown: event.data.drawdown },
  ];
  return {
    ...portfolio,
    ...withoutTimes(event.data),
    equityCurve: curve.length > CURVE_POINTS ? curve.slice(curve.length - CURVE_POINTS) : curve,
  };
}

/** What of a bar the chart draws while it forms: from the quotes of its interval seen so far. */
export interface FormingBar {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/**
 * The bar forming at `interval` after a quote (its mid at `ts`): the quote's bar start, opened by
 * the first mid seen in it, its high and low the extremes of the mids seen, its close this mid.
 * Null when the quote's bar has closed already (it is at or before the last closed bar) or the
 * quote is older than the forming bar's last.
 */
export function nextFormingBar(
  previous: FormingBar | null,
  lastClosedStart: number | undefined,
  intervalMs: number,
  mid: number,
  ts: number,
): FormingBar | null {
  const start = Math.floor(ts / intervalMs) * intervalMs;
  if (lastClosedStart !== undefined && start <= lastClosedStart) return null;
  if (previous && start < previous.start) return previous;
  if (previous && previous.start === start)
    return {
      start,
      open: previous.open,
      high: Math.max(previous.high, mid),
      low: Math.min(previous.low, mid),
      close: mid,
    };
  return { start, open: mid, high: mid, low: mid, close: mid };
}
