import {
  CURSOR_PATTERN,
  type BarView,
  type CommandView,
  type EquityPointView,
  type EquitySampled,
  type OrderFilled,
  type OrderStateView,
  type Page,
  type PortfolioSampled,
  type PortfolioView,
  type PositionChanged,
  type RiskEventView,
  type SignalView,
  type StrategyAccountView,
  type StrategyPositionView,
  type TradeClosed,
} from "@tickflow/core";
import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from "kysely";
import { fromJson, toNumber, type Database } from "./schema";

function commandView(r: Selectable<Database["commands"]>): CommandView {
  return {
    commandId: r.command_id,
    kind: r.kind as CommandView["kind"],
    strategyId: r.strategy_id,
    payload: fromJson(r.payload) as Record<string, unknown>,
    actor: fromJson(r.actor) as CommandView["actor"],
    submittedAt: toNumber(r.submitted_at),
    status: r.status,
    reason: r.reason as CommandView["reason"],
    detail: r.detail,
    orderId: r.order_id,
    appliedAt: r.applied_at === null ? null : toNumber(r.applied_at),
  };
}

/** A cursor that is not one this route gave out: the caller's mistake (400 naming `cursor`). */
export class InvalidCursorError extends Error {}

/**
 * Cursors (core's CURSOR_PATTERN) are the key of the last row served, in base 36. Keyset paging
 * (`seq < key` newest first, `ts > key` oldest first) never skips or repeats a row while others
 * are stored: new rows get larger keys than any a cursor points at.
 */
function encodeCursor(key: number): string {
  return key.toString(36);
}

function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!CURSOR_PATTERN.test(cursor)) throw new InvalidCursorError("cursor is not one this API gave out");
  return parseInt(cursor, 36);
}

/** What every list route takes: a time range on tsEvent ([from, to), ms), a page size and a cursor. */
export interface Range {
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface EventFilter extends Range {
  strategy?: string | undefined;
  symbol?: string | undefined;
}

/** The rows one past the page tell whether there is a next page: fetch limit + 1, serve limit. */
function paged<R, T>(rows: R[], limit: number, key: (row: R) => number, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const served = more ? rows.slice(0, limit) : rows;
  return {
    items: served.map(view),
    next: more ? encodeCursor(key(served[served.length - 1]!)) : null,
  };
}

/* Kysely's builder types per table are long; these helpers take any select over an event table. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EventSelect = SelectQueryBuilder<Database, any, any>;

function newestFirst(query: EventSelect, filter: EventFilter): EventSelect {
  const before = decodeCursor(filter.cursor);
  let q = query;
  if (filter.strategy !== undefined) q = q.where("strategy_id", "=", filter.strategy);
  if (filter.symbol !== undefined) q = q.where("symbol", "=", filter.symbol);
  if (filter.from !== undefined) q = q.where("ts_event", ">=", filter.from);
  if (filter.to !== undefined) q = q.where("ts_event", "<", filter.to);
  if (before !== undefined) q = q.where("seq", "<", before);
  return q.orderBy("seq", "desc").limit(filter.limit + 1);
}

/** What the event-table queries select. */
type EventRowOut = { seq: string | number; data: unknown };

const seqOf = <R extends { seq: string | number }>(row: R) => toNumber(row.seq);

/**
 * The read side's queries, typed end to end: the gateway's history routes run them on
 * node-postgres (a server or embedded PGlite) or on the RDS Data API, the same SQL everywhere.
 */
export class ReadSide {
  constructor(readonly db: Kysely<Database>) {}

  async fills(filter: EventFilter & { side?: string | undefined }): Promise<Page<OrderFilled>> {
    let q = this.db.selectFrom("fills").select(["seq", "data"]);
    if (filter.side !== undefined) q = q.where("side", "=", filter.side);
    const rows = (await newestFirst(q, filter).execute()) as EventRowOut[];
    return paged(rows, filter.limit, seqOf, (r) => fromJson<OrderFilled>(r.data));
  }

  async trades(filter: EventFilter & { side?: string | undefined }): Promise<Page<TradeClosed>> {
    let q = this.db.selectFrom("trades").select(["seq", "data"]);
    if (filter.side !== undefined) q = q.where("side", "=", filter.side);
    const rows = (await newestFirst(q, filter).execute()) as EventRowOut[];
    return paged(rows, filter.limit, seqOf, (r) => fromJson<TradeClosed>(r.data));
  }

  async signals(filter: EventFilter): Promise<Page<SignalView>> {
    const q = this.db.selectFrom("signals").select(["seq", "data"]);
    const rows = (await newestFirst(q, filter).execute()) as EventRowOut[];
    return paged(rows, filter.limit, seqOf, (r) => fromJson<SignalView>(r.data));
  }

  /** Orders newest first (by when they were stored); `from`/`to` on the order's latest event. */
  async orders(
    filter: EventFilter & { side?: string | undefined; type?: string | undefined; status?: string | undefined },
  ): Promise<Page<OrderStateView>> {
    const before = decodeCursor(filter.cursor);
    let q = this.db.selectFrom("orders").selectAll();
    if (filter.strategy !== undefined) q = q.where("strategy_id", "=", filter.strategy);
    if (filter.symbol !== undefined) q = q.where("symbol", "=", filter.symbol);
    if (filter.side !== undefined) q = q.where("side", "=", filter.side);
    if (filter.type !== undefined) q = q.where("type", "=", filter.type);
    if (filter.status !== undefined) q = q.where("status", "=", filter.status as OrderStateView["status"]);
    if (filter.from !== undefined) q = q.where("updated_at", ">=", filter.from);
    if (filter.to !== undefined) q = q.where("updated_at", "<", filter.to);
    if (before !== undefined) q = q.where("seq", "<", before);
    const rows = await q
      .orderBy("seq", "desc")
      .limit(filter.limit + 1)
      .execute();
    return paged(rows, filter.limit, seqOf, (r) => ({
      orderId: r.order_id,
      strategyId: r.strategy_id,
      symbol: r.symbol,
      side: r.side as OrderStateView["side"],
      type: r.type as OrderStateView["type"],
      timeInForce: r.time_in_force as OrderStateView["timeInForce"],
      quantity: r.quantity,
      limitPrice: r.limit_price,
      stopPrice: r.stop_price,
      parentId: r.parent_id,
      signalId: r.signal_id,
      status: r.status,
      filledQuantity: r.filled_quantity,
      averagePrice: r.average_price,
      reason: r.reason,
      submittedAt: r.submitted_at === null ? null : toNumber(r.submitted_at),
      updatedAt: toNumber(r.updated_at),
    }));
  }

  /** The latest `limit` closed bars in [from, to) by start, oldest first. */
  async bars(symbol: string, interval: string, range: Omit<Range, "cursor">): Promise<BarView[]> {
    let q = this.db.selectFrom("bars").select("data").where("symbol", "=", symbol).where("interval", "=", interval);
    if (range.from !== undefined) q = q.where("start", ">=", range.from);
    if (range.to !== undefined) q = q.where("start", "<", range.to);
    const rows = await q.orderBy("start", "desc").limit(range.limit).execute();
    return rows.map((r) => fromJson<BarView>(r.data)).reverse();
  }

  /** One strategy's equity samples, or the portfolio's (all strategies together), oldest first. */
  async equity(filter: Range & { strategy?: string | undefined }): Promise<Page<EquityPointView>> {
    const after = decodeCursor(filter.cursor);
    const view = (r: { ts_event: string | number; data: unknown }): EquityPointView => {
      const d = fromJson<EquitySampled | PortfolioSampled>(r.data);
      return {
        ts: toNumber(r.ts_event),
        equity: d.equity,
        netPnl: d.netPnl,
        drawdown: d.drawdown,
        maxDrawdown: d.maxDrawdown,
      };
    };
    // a strategy's samples, or the portfolio's: the same columns in two tables
    let q: EventSelect =
      filter.strategy === undefined
        ? this.db.selectFrom("portfolio_points").select(["ts_event", "data"])
        : this.db.selectFrom("equity_points").select(["ts_event", "data"]).where("strategy_id", "=", filter.strategy);
    if (filter.from !== undefined) q = q.where("ts_event", ">=", filter.from);
    if (filter.to !== undefined) q = q.where("ts_event", "<", filter.to);
    if (after !== undefined) q = q.where("ts_event", ">", after);
    const rows = (await q
      .orderBy("ts_event", "asc")
      .limit(filter.limit + 1)
      .execute()) as { ts_event: string | number; data: unknown }[];
    return paged(rows, filter.limit, (r) => toNumber(r.ts_event), view);
  }

  /** Every strategy's latest position in each symbol it has traded. */
  async positions(): Promise<StrategyPositionView[]> {
    const rows = await this.db
      .selectFrom("positions")
      .select("data")
      .orderBy("strategy_id")
      .orderBy("symbol")
      .execute();
    return rows.map((r) => {
      const { tsEvent: _tsEvent, tsInit: _tsInit, ...position } = fromJson<PositionChanged>(r.data);
      return position;
    });
  }

  /** Each strategy's latest account sample. */
  async accounts(): Promise<StrategyAccountView[]> {
    const rows = await this.db
      .selectFrom("equity_points")
      .select(["strategy_id", "data"])
      .distinctOn("strategy_id")
      .orderBy("strategy_id")
      .orderBy("ts_event", "desc")
      .execute();
    return rows.map((r) => {
      const { tsEvent: _tsEvent, tsInit: _tsInit, ...account } = fromJson<EquitySampled>(r.data);
      return account;
    });
  }

  /**
   * All strategies together as of the latest portfolio sample, with each strategy's latest
   * account and the last `curvePoints` of the combined curve; null before the first sample.
   */
  async portfolio(curvePoints: number): Promise<PortfolioView | null> {
    const [latest] = await this.db
      .selectFrom("portfolio_points")
      .select("data")
      .orderBy("ts_event", "desc")
      .limit(1)
      .execute();
    if (!latest) return null;
    const { tsEvent: _tsEvent, tsInit: _tsInit, ...totals } = fromJson<PortfolioSampled>(latest.data);
    const curve = await this.db
      .selectFrom("portfolio_points")
      .select(["ts_event", "data"])
      .orderBy("ts_event", "desc")
      .limit(curvePoints)
      .execute();
    return {
      ...totals,
      strategies: await this.accounts(),
      equityCurve: curve.reverse().map((r) => {
        const d = fromJson<PortfolioSampled>(r.data);
        return { ts: toNumber(r.ts_event), equity: d.equity, drawdown: d.drawdown };
      }),
    };
  }

  /** risk.halted and risk.reset, newest first. */
  async riskEvents(limit: number): Promise<RiskEventView[]> {
    const rows = await this.db
      .selectFrom("risk_events")
      .select(["type", "data"])
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ type: r.type, data: fromJson(r.data) }) as RiskEventView);
  }

  /** The command audit, newest first: filtered by strategy, status, kind and submission time. */
  async commands(
    filter: Range & {
      strategy?: string | undefined;
      status?: string | undefined;
      kind?: string | undefined;
    },
  ): Promise<Page<CommandView>> {
    const before = decodeCursor(filter.cursor);
    let q = this.db.selectFrom("commands").selectAll();
    if (filter.strategy !== undefined) q = q.where("strategy_id", "=", filter.strategy);
    if (filter.status !== undefined) q = q.where("status", "=", filter.status as CommandView["status"]);
    if (filter.kind !== undefined) q = q.where("kind", "=", filter.kind);
    if (filter.from !== undefined) q = q.where("submitted_at", ">=", filter.from);
    if (filter.to !== undefined) q = q.where("submitted_at", "<", filter.to);
    if (before !== undefined) q = q.where("seq", "<", before);
    const rows = await q
      .orderBy("seq", "desc")
      .limit(filter.limit + 1)
      .execute();
    return paged(rows, filter.limit, seqOf, commandView);
  }

  /** One command with its outcome and the hash of the request that sent it (the gateway's idempotency check), or null. */
  async command(commandId: string): Promise<{ view: CommandView; requestHash: string } | null> {
    const row = await this.db.selectFrom("commands").selectAll().where("command_id", "=", commandId).executeTakeFirst();
    return row ? { view: commandView(row), requestHash: row.request_hash } : null;
  }

  /** Whether the read side has heard of a strategy: every running strategy samples its equity at each closed bar. */
  async knowsStrategy(strategyId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("equity_points")
      .select(sql<number>`1`.as("one"))
      .where("strategy_id", "=", strategyId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
