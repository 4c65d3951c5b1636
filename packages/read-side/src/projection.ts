import { foldOrder, ORDER_STATUS_RANK, type DomainEvent, type OrderStateView } from "@tickflow/core";
import { sql, type Insertable, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema";

/** One partition's batch: where it comes from and what it holds, in offset order. */
export interface ProjectedBatch {
  groupId: string;
  topic: string;
  partition: number;
  /** Offsets of the batch's records, in order, each with its event (null: dead-lettered, skipped). */
  records: { offset: string; event: DomainEvent | null }[];
}

export interface ProjectionResult {
  /** Records applied (the rest were at or below the stored offset: already in the tables). */
  applied: number;
  /** Rows written by table (inserted or updated). */
  rows: Record<string, number>;
}

/** Multi-row INSERTs stay below PostgreSQL's 65,535 bind parameters. */
const CHUNK = 1_000;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Applies one partition batch in one transaction, exactly once: the stored offset of the
 * partition is read under a row lock, records below it are skipped (a batch the projector
 * applied before it could tell Kafka), the rest are written, and the new offset is stored, all
 * committed together. Every write is also idempotent by event id (or by its natural key for the
 * latest-state tables), so even a replay past the offsets check could change nothing.
 */
export async function applyBatch(db: Kysely<Database>, batch: ProjectedBatch): Promise<ProjectionResult> {
  return db.transaction().execute(async (trx) => {
    const stored = await trx
      .selectFrom("consumer_offsets")
      .select("next_offset")
      .where("group_id", "=", batch.groupId)
      .where("topic", "=", batch.topic)
      .where("partition", "=", batch.partition)
      .forUpdate()
      .executeTakeFirst();
    const from = stored ? BigInt(stored.next_offset) : -1n;
    const fresh = batch.records.filter((r) => BigInt(r.offset) >= from);
    if (fresh.length === 0) return { applied: 0, rows: {} };
    const rows = await writeEvents(
      trx,
      fresh.flatMap((r) => (r.event ? [r.event] : [])),
    );
    const next = String(BigInt(fresh[fresh.length - 1]!.offset) + 1n);
    await trx
      .insertInto("consumer_offsets")
      .values({ group_id: batch.groupId, topic: batch.topic, partition: batch.partition, next_offset: next })
      .onConflict((oc) => oc.columns(["group_id", "topic", "partition"]).doUpdateSet({ next_offset: next }))
      .execute();
    return { applied: fresh.length, rows };
  });
}

/** The offsets the database holds for a group: where each partition resumes. */
export async function storedOffsets(
  db: Kysely<Database>,
  groupId: string,
): Promise<{ topic: string; partition: number; nextOffset: string }[]> {
  const rows = await db
    .selectFrom("consumer_offsets")
    .select(["topic", "partition", "next_offset"])
    .where("group_id", "=", groupId)
    .execute();
  return rows.map((r) => ({ topic: r.topic, partition: r.partition, nextOffset: String(r.next_offset) }));
}

const json = (value: unknown) => JSON.stringify(value);

/** Writes decoded events to their tables (one multi-row statement per table), inside `trx`. */
async function writeEvents(trx: Transaction<Database>, events: DomainEvent[]): Promise<Record<string, number>> {
  const bars: Insertable<Database["bars"]>[] = [];
  const signals: Parameters<typeof insertEvents>[2] = [];
  const orderEvents: (Parameters<typeof insertEvents>[2][number] & { order_id: string; type: string })[] = [];
  const fills: (Parameters<typeof insertEvents>[2][number] & { order_id: string; side: string })[] = [];
  const trades: (Parameters<typeof insertEvents>[2][number] & { side: string })[] = [];
  const positions = new Map<string, { strategy_id: string; symbol: string; ts_event: number; data: string }>();
  const equity = new Map<string, { strategy_id: string; ts_event: number; data: string }>();
  const portfolio = new Map<number, { ts_event: number; data: string }>();
  const risk: { id: string; strategy_id: string; type: string; ts_event: number; data: string }[] = [];
  const submitted: Insertable<Database["commands"]>[] = [];
  const outcomes: Extract<DomainEvent, { type: "command.applied" | "command.rejected" }>[] = [];
  // each order as this batch's events alone say it (absolute fields, so applying them twice gives
  // the same row); the upsert below merges it into the stored row
  const folds = new Map<string, OrderStateView>();
  for (const event of events) {
    switch (event.type) {
      case "bar.closed":
        bars.push({
          symbol: event.data.symbol,
          interval: event.data.interval,
          start: event.data.start,
          data: json(event.data),
        });
        break;
      case "signal.generated":
        signals.push({
          id: event.id,
          strategy_id: event.data.strategyId,
          symbol: event.data.symbol,
          ts_event: event.data.tsEvent,
          data: json(event.data),
        });
        break;
      case "order.submitted":
      case "order.accepted":
      case "order.triggered":
      case "order.filled":
      case "order.canceled":
      case "order.replaced":
      case "order.rejected": {
        const base = {
          id: event.id,
          strategy_id: event.data.strategyId,
          symbol: event.data.symbol,
          ts_event: event.data.tsEvent,
          data: json(event.data),
        };
        orderEvents.push({ ...base, order_id: event.data.orderId, type: event.type });
        if (event.type === "order.filled") fills.push({ ...base, order_id: event.data.orderId, side: event.data.side });
        folds.set(event.data.orderId, foldOrder(folds.get(event.data.orderId), event));
        break;
      }
      case "trade.closed":
        trades.push({
          id: event.id,
          strategy_id: event.data.strategyId,
          symbol: event.data.symbol,
          ts_event: event.data.tsEvent,
          side: event.data.side,
          data: json(event.data),
        });
        break;
      case "position.changed":
        positions.set(`${event.data.strategyId}\u0000${event.data.symbol}`, {
          strategy_id: event.data.strategyId,
          symbol: event.data.symbol,
          ts_event: event.data.tsEvent,
          data: json(event.data),
        });
        break;
      case "equity.sampled":
        // a later sample at the same instant (another symbol's bar) supersedes the earlier one
        equity.set(`${event.data.strategyId}\u0000${event.data.tsEvent}`, {
          strategy_id: event.data.strategyId,
          ts_event: event.data.tsEvent,
          data: json(event.data),
        });
        break;
      case "portfolio.sampled":
        portfolio.set(event.data.tsEvent, { ts_event: event.data.tsEvent, data: json(event.data) });
        break;
      case "command.submitted":
        submitted.push({
          command_id: event.data.commandId,
          kind: event.data.kind,
          strategy_id: event.data.strategyId,
          payload: json(event.data.payload),
          actor: json(event.data.actor),
          request_hash: event.data.requestHash,
          submitted_at: event.data.submittedAt,
        });
        break;
      case "command.applied":
      case "command.rejected":
        outcomes.push(event);
        break;
      case "risk.halted":
      case "risk.reset":
        risk.push({
          id: event.id,
          strategy_id: event.data.strategyId,
          type: event.type,
          ts_event: event.data.tsEvent,
          data: json(event.data),
        });
        break;
    }
  }
  const counts: Record<string, number> = {};
  const count = (table: string, n: number) => {
    if (n > 0) counts[table] = (counts[table] ?? 0) + n;
  };
  for (const part of chunks(bars)) {
    await trx
      .insertInto("bars")
      .values(part)
      .onConflict((oc) => oc.columns(["symbol", "interval", "start"]).doNothing())
      .execute();
    count("bars", part.length);
  }
  count("signals", await insertEvents(trx, "signals", signals));
  count("order_events", await insertEvents(trx, "order_events", orderEvents));
  count("fills", await insertEvents(trx, "fills", fills));
  count("trades", await insertEvents(trx, "trades", trades));
  for (const part of chunks([...folds.values()])) {
    await trx
      .insertInto("orders")
      .values(
        part.map((o) => ({
          order_id: o.orderId,
          strategy_id: o.strategyId,
          symbol: o.symbol,
          side: o.side,
          type: o.type,
          time_in_force: o.timeInForce,
          quantity: o.quantity,
          limit_price: o.limitPrice,
          stop_price: o.stopPrice,
          parent_id: o.parentId,
          signal_id: o.signalId,
          status: o.status,
          filled_quantity: o.filledQuantity,
          average_price: o.averagePrice,
          reason: o.reason,
          submitted_at: o.submittedAt,
          updated_at: o.updatedAt,
        })),
      )
      .onConflict((oc) =>
        oc.column("order_id").doUpdateSet({
          type: sql`coalesce(excluded.type, orders.type)`,
          time_in_force: sql`coalesce(excluded.time_in_force, orders.time_in_force)`,
          quantity: sql`coalesce(excluded.quantity, orders.quantity)`,
          limit_price: sql`case when excluded.quantity is null then orders.limit_price else excluded.limit_price end`,
          stop_price: sql`case when excluded.quantity is null then orders.stop_price else excluded.stop_price end`,
          parent_id: sql`coalesce(excluded.parent_id, orders.parent_id)`,
          signal_id: sql`coalesce(excluded.signal_id, orders.signal_id)`,
          status: sql`case when ${sql.raw(statusRankSql("excluded.status"))} >= ${sql.raw(statusRankSql("orders.status"))} then excluded.status else orders.status end`,
          filled_quantity: sql`greatest(excluded.filled_quantity, orders.filled_quantity)`,
          average_price: sql`coalesce(excluded.average_price, orders.average_price)`,
          reason: sql`coalesce(excluded.reason, orders.reason)`,
          submitted_at: sql`coalesce(excluded.submitted_at, orders.submitted_at)`,
          updated_at: sql`greatest(excluded.updated_at, orders.updated_at)`,
        }),
      )
      .execute();
    count("orders", part.length);
  }
  for (const part of chunks([...positions.values()])) {
    await trx
      .insertInto("positions")
      .values(part)
      .onConflict((oc) =>
        oc
          .columns(["strategy_id", "symbol"])
          .doUpdateSet({ ts_event: sql`excluded.ts_event`, data: sql`excluded.data` }),
      )
      .execute();
    count("positions", part.length);
  }
  for (const part of chunks([...equity.values()])) {
    await trx
      .insertInto("equity_points")
      .values(part)
      .onConflict((oc) => oc.columns(["strategy_id", "ts_event"]).doUpdateSet({ data: sql`excluded.data` }))
      .execute();
    count("equity_points", part.length);
  }
  for (const part of chunks([...portfolio.values()])) {
    await trx
      .insertInto("portfolio_points")
      .values(part)
      .onConflict((oc) => oc.column("ts_event").doUpdateSet({ data: sql`excluded.data` }))
      .execute();
    count("portfolio_points", part.length);
  }
  for (const part of chunks(risk)) {
    await trx
      .insertInto("risk_events")
      .values(part)
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    count("risk_events", part.length);
  }
  for (const part of chunks(submitted)) {
    await trx
      .insertInto("commands")
      .values(part)
      .onConflict((oc) => oc.column("command_id").doNothing())
      .execute();
    count("commands", part.length);
  }
  // the worker answers a command once, after it (same partition): the first answer stands
  for (const outcome of outcomes) {
    await trx
      .updateTable("commands")
      .set({
        status: outcome.type === "command.applied" ? "applied" : "rejected",
        reason: outcome.type === "command.rejected" ? outcome.data.reason : null,
        detail: outcome.type === "command.rejected" ? outcome.data.detail : null,
        order_id: outcome.data.orderId,
        applied_at: outcome.data.tsEvent,
      })
      .where("command_id", "=", outcome.data.commandId)
      .where("status", "=", "pending")
      .execute();
    count("commands", 1);
  }
  return counts;
}

/** An order status's rank in SQL, the same order as ORDER_STATUS_RANK. */
function statusRankSql(column: string): string {
  const cases = Object.entries(ORDER_STATUS_RANK)
    .map(([status, rank]) => `when '${status}' then ${rank}`)
    .join(" ");
  return `(case ${column} ${cases} end)`;
}

/** Appends events to an event table, once per id. Returns how many rows were given. */
async function insertEvents(
  trx: Transaction<Database>,
  table: "signals" | "order_events" | "fills" | "trades",
  rows: { id: string; strategy_id: string; symbol: string; ts_event: number; data: string }[],
): Promise<number> {
  for (const part of chunks(rows))
    await trx
      .insertInto(table)
      // the row types differ by table (order_id, side, type); the caller builds the right ones
      .values(part as never)
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
  return rows.length;
}

/** Retention of the high-volume tables, in ms of event time. */
export interface Retention {
  bars: number;
  signals: number;
  orderEvents: number;
  equity: number;
}

/** Deletes rows older than their table's retention (by event time, against `now`); returns how many per table. */
export async function prune(db: Kysely<Database>, now: number, retention: Retention): Promise<Record<string, number>> {
  const deleted = async (query: { executeTakeFirst(): Promise<{ numDeletedRows: bigint }> }) =>
    Number((await query.executeTakeFirst()).numDeletedRows);
  return {
    bars: await deleted(db.deleteFrom("bars").where("start", "<", now - retention.bars)),
    signals: await deleted(db.deleteFrom("signals").where("ts_event", "<", now - retention.signals)),
    order_events: await deleted(db.deleteFrom("order_events").where("ts_event", "<", now - retention.orderEvents)),
    equity_points: await deleted(db.deleteFrom("equity_points").where("ts_event", "<", now - retention.equity)),
    portfolio_points: await deleted(db.deleteFrom("portfolio_points").where("ts_event", "<", now - retention.equity)),
  };
}
