import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from "kysely";
import type { Database } from "./schema";

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration sees the database as it was then, not as schema.ts says it is now */
type Db = Kysely<any>;

/** The event tables' common columns: storage order, event id (idempotency), whose, when, what. */
async function eventTable(db: Db, name: string, extra: (t: any) => any = (t) => t): Promise<void> {
  await extra(
    db.schema
      .createTable(name)
      .addColumn("seq", "bigserial", (c) => c.primaryKey())
      .addColumn("id", "text", (c) => c.notNull().unique())
      .addColumn("strategy_id", "text", (c) => c.notNull())
      .addColumn("symbol", "text", (c) => c.notNull())
      .addColumn("ts_event", "bigint", (c) => c.notNull())
      .addColumn("data", "jsonb", (c) => c.notNull()),
  ).execute();
}

/**
 * The read side's migrations, in order; the projector runs them at start (the API never does).
 * A migration is never edited once released: a change is a new one.
 */
export const MIGRATIONS: Record<string, Migration> = {
  "0001_tables": {
    async up(db: Db) {
      await db.schema
        .createTable("consumer_offsets")
        .addColumn("group_id", "text", (c) => c.notNull())
        .addColumn("topic", "text", (c) => c.notNull())
        .addColumn("partition", "integer", (c) => c.notNull())
        .addColumn("next_offset", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("consumer_offsets_pk", ["group_id", "topic", "partition"])
        .execute();
      await db.schema
        .createTable("bars")
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("interval", "text", (c) => c.notNull())
        .addColumn("start", "bigint", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .addPrimaryKeyConstraint("bars_pk", ["symbol", "interval", "start"])
        .execute();
      await eventTable(db, "signals");
      await eventTable(db, "order_events", (t) =>
        t.addColumn("order_id", "text", (c: any) => c.notNull()).addColumn("type", "text", (c: any) => c.notNull()),
      );
      await db.schema
        .createTable("orders")
        .addColumn("seq", "bigserial", (c) => c.notNull().unique())
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("strategy_id", "text", (c) => c.notNull())
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("side", "text", (c) => c.notNull())
        .addColumn("type", "text")
        .addColumn("time_in_force", "text")
        .addColumn("quantity", "double precision")
        .addColumn("limit_price", "double precision")
        .addColumn("stop_price", "double precision")
        .addColumn("parent_id", "text")
        .addColumn("signal_id", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("filled_quantity", "double precision", (c) => c.notNull().defaultTo(0))
        .addColumn("average_price", "double precision")
        .addColumn("reason", "text")
        .addColumn("submitted_at", "bigint")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await eventTable(db, "fills", (t) =>
        t.addColumn("order_id", "text", (c: any) => c.notNull()).addColumn("side", "text", (c: any) => c.notNull()),
      );
      await eventTable(db, "trades", (t) => t.addColumn("side", "text", (c: any) => c.notNull()));
      await db.schema
        .createTable("positions")
        .addColumn("strategy_id", "text", (c) => c.notNull())
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("ts_event", "bigint", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .addPrimaryKeyConstraint("positions_pk", ["strategy_id", "symbol"])
        .execute();
      await db.schema
        .createTable("equity_points")
        .addColumn("strategy_id", "text", (c) => c.notNull())
        .addColumn("ts_event", "bigint", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .addPrimaryKeyConstraint("equity_points_pk", ["strategy_id", "ts_event"])
        .execute();
      await db.schema
        .createTable("portfolio_points")
        .addColumn("ts_event", "bigint", (c) => c.primaryKey())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("risk_events")
        .addColumn("seq", "bigserial", (c) => c.primaryKey())
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("strategy_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("ts_event", "bigint", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .execute();
    },
  },
  // what the routes filter and page by, and the time column retention deletes by
  "0002_route_indexes": {
    async up(db: Db) {
      const index = (table: string, columns: string[]) =>
        db.schema
          .createIndex(`${table}_${columns.join("_")}_idx`)
          .on(table)
          .columns(columns)
          .execute();
      for (const table of ["signals", "order_events", "fills", "trades"]) {
        await index(table, ["strategy_id", "seq"]);
        await index(table, ["symbol", "seq"]);
        await index(table, ["ts_event"]);
      }
      await index("order_events", ["order_id"]);
      await index("orders", ["strategy_id", "seq"]);
      await index("orders", ["symbol", "seq"]);
      await index("orders", ["status", "seq"]);
      await index("orders", ["updated_at"]);
      await index("bars", ["start"]);
      await index("equity_points", ["ts_event"]);
      await index("risk_events", ["strategy_id", "seq"]);
    },
  },
  "0003_commands": {
    async up(db: Db) {
      await db.schema
        .createTable("commands")
        .addColumn("seq", "bigserial", (c) => c.notNull().unique())
        .addColumn("command_id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("strategy_id", "text", (c) => c.notNull())
        .addColumn("payload", "jsonb", (c) => c.notNull())
        .addColumn("actor", "jsonb", (c) => c.notNull())
        .addColumn("request_hash", "text", (c) => c.notNull())
        .addColumn("submitted_at", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
        .addColumn("reason", "text")
        .addColumn("detail", "text")
        .addColumn("order_id", "text")
        .addColumn("applied_at", "bigint")
        .execute();
      for (const columns of [["strategy_id", "seq"], ["status", "seq"], ["kind", "seq"], ["submitted_at"]])
        await db.schema
          .createIndex(`commands_${columns.join("_")}_idx`)
          .on("commands")
          .columns(columns)
          .execute();
    },
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Migrates the database to `target` (a migration name), or to the latest; throws with the failing migration's error. */
export async function migrate(db: Kysely<Database>, target?: string): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: "read_side_migrations",
    migrationLockTableName: "read_side_migrations_lock",
  });
  const result = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error")?.migrationName ?? "?";
    throw new Error(`read-side migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
  }
  return result;
}

/** Whether the database answers (health checks). */
export async function ping(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
