import type { z } from "zod";
import type { OrderStatusSchema } from "@tickflow/core";
import type { ColumnType, Generated, Kysely } from "kysely";

type OrderStatus = z.infer<typeof OrderStatusSchema>;

/**
 * The read side's tables as Kysely sees them (migrations.ts creates them). Times are event times
 * in ms since the epoch (`bigint`: drivers hand them back as strings or numbers, see `toNumber`);
 * `data` is the event's data as published, which the API answers with as is, so a row and the
 * record it came from say the same thing. `seq` numbers rows in the order they were stored: the
 * list routes page on it, so a cursor stays valid while rows are added ahead of it.
 */
type Timestamp = ColumnType<string | number, number, number>;
type Json = ColumnType<unknown, string, string>;
type Seq = Generated<string | number>;

export interface ConsumerOffsetsTable {
  group_id: string;
  topic: string;
  partition: number;
  /** The offset of the next record to apply: everything before it is in the tables. */
  next_offset: ColumnType<string, string, string>;
}

export interface BarsTable {
  symbol: string;
  interval: string;
  start: Timestamp;
  data: Json;
}

interface EventRow {
  seq: Seq;
  id: string;
  strategy_id: string;
  symbol: string;
  ts_event: Timestamp;
  data: Json;
}

export type SignalsTable = EventRow;

export interface OrderEventsTable extends EventRow {
  order_id: string;
  /** The event type: order.submitted, order.filled, ... */
  type: string;
}

/** One row per order, kept at its latest state by its lifecycle events. */
export interface OrdersTable {
  seq: Seq;
  order_id: string;
  strategy_id: string;
  symbol: string;
  side: string;
  /** From order.submitted: null until it is stored (an order's events can span batches, never partitions). */
  type: string | null;
  time_in_force: string | null;
  quantity: number | null;
  limit_price: number | null;
  stop_price: number | null;
  parent_id: string | null;
  signal_id: string | null;
  status: OrderStatus;
  filled_quantity: number;
  average_price: number | null;
  /** Why it was canceled or rejected. */
  reason: string | null;
  submitted_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface FillsTable extends EventRow {
  order_id: string;
  side: string;
}

export interface TradesTable extends EventRow {
  /** long or short */
  side: string;
}

export interface PositionsTable {
  strategy_id: string;
  symbol: string;
  ts_event: Timestamp;
  data: Json;
}

export interface EquityPointsTable {
  strategy_id: string;
  ts_event: Timestamp;
  data: Json;
}

export interface PortfolioPointsTable {
  ts_event: Timestamp;
  data: Json;
}

export interface RiskEventsTable {
  seq: Seq;
  id: string;
  strategy_id: string;
  type: string;
  ts_event: Timestamp;
  data: Json;
}

/** The command audit: one row per command, from its command.submitted, completed by its outcome. */
export interface CommandsTable {
  seq: Seq;
  command_id: string;
  kind: string;
  strategy_id: string;
  payload: Json;
  actor: Json;
  request_hash: string;
  submitted_at: Timestamp;
  status: ColumnType<
    "pending" | "applied" | "rejected",
    "pending" | "applied" | "rejected" | undefined,
    "applied" | "rejected"
  >;
  reason: string | null;
  detail: string | null;
  order_id: string | null;
  applied_at: Timestamp | null;
}

export interface Database {
  commands: CommandsTable;
  consumer_offsets: ConsumerOffsetsTable;
  bars: BarsTable;
  signals: SignalsTable;
  order_events: OrderEventsTable;
  orders: OrdersTable;
  fills: FillsTable;
  trades: TradesTable;
  positions: PositionsTable;
  equity_points: EquityPointsTable;
  portfolio_points: PortfolioPointsTable;
  risk_events: RiskEventsTable;
}

/** The read side's database, as its users hold it (they need not import Kysely themselves). */
export type ReadSideDb = Kysely<Database>;

/** A bigint column's value as the driver gave it (node-postgres: a string; PGlite and the Data API: a number). */
export function toNumber(value: string | number | bigint): number {
  return typeof value === "number" ? value : Number(value);
}

/** A jsonb column's value as the driver gave it (the Data API: a JSON string; the others: parsed). */
export function fromJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
