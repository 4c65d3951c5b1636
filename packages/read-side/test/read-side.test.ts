import type { DomainEvent, OrderFilled } from "@tickflow/core";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  applyBatch,
  migrate,
  openDatabase,
  ReadSide,
  storedOffsets,
  InvalidCursorError,
  type Database,
  type ProjectedBatch,
} from "../src";
import { serveEmbeddedDatabase, startLocalPostgres } from "../src/local";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";

/**
 * One contract suite over both databases the read side runs on: a real PostgreSQL server
 * (Debian's postgresql, started here on a free port) and embedded PGlite behind pglite-socket
 * (what `npm start` uses). Both are reached with node-postgres, as the projector and the gateway
 * reach them.
 */
const TARGETS = [
  {
    name: "PostgreSQL server",
    async start() {
      const server = await startLocalPostgres();
      return { url: server.url, stop: () => server.destroy() };
    },
  },
  {
    name: "embedded PGlite",
    async start() {
      const dir = await mkdtemp(join(tmpdir(), "tickflow-pglite-"));
      const embedded = await serveEmbeddedDatabase({ dataDir: dir });
      return {
        url: embedded.url,
        stop: async () => {
          await embedded.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const GROUP = "tickflow-projector";

function fill(n: number, overrides: Partial<OrderFilled> = {}): DomainEvent {
  const data: OrderFilled = {
    orderId: `s1:AAPL:${n}`,
    strategyId: "s1",
    symbol: "AAPL",
    side: n % 2 === 0 ? "sell" : "buy",
    tsEvent: 1_000 + n,
    tsInit: 1_000 + n,
    fillNo: 1,
    quantity: 5,
    price: 100 + n / 100,
    liquidity: "taker",
    fee: 0.05,
    realizedPnl: 0,
    cumulativeQuantity: 5,
    leavesQuantity: 0,
    averagePrice: 100 + n / 100,
    quoteSeq: n,
    ...overrides,
  };
  return { type: "order.filled", id: `${data.orderId}:filled:${data.fillNo}`, ts: data.tsEvent, data };
}

function batch(topic: string, partition: number, firstOffset: number, events: DomainEvent[]): ProjectedBatch {
  return {
    groupId: GROUP,
    topic,
    partition,
    records: events.map((event, i) => ({ offset: String(firstOffset + i), event })),
  };
}

const ref = { strategyId: "s1", symbol: "AAPL", side: "buy" as const };

describe.each(TARGETS)("read side on $name", (target) => {
  let stop: () => Promise<void>;
  let url: string;
  let db: Kysely<Database>;
  let read: ReadSide;

  beforeAll(async () => {
    ({ url, stop } = await target.start());
    db = openDatabase({ kind: "postgres", url });
    read = new ReadSide(db);
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await stop?.();
  });
  beforeEach(async () => {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
    await migrate(db);
  });

  it("migrates an empty database to the latest, and a database at the previous migration without losing rows", async () => {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
    const first = await migrate(db, "0002_route_indexes");
    expect(first.results?.map((r) => [r.migrationName, r.status])).toEqual([
      ["0001_tables", "Success"],
      ["0002_route_indexes", "Success"],
    ]);
    await applyBatch(db, batch("strategy.orders.v1", 0, 0, [fill(1)]));
    const rest = await migrate(db);
    expect(rest.results?.map((r) => [r.migrationName, r.status])).toEqual([["0003_commands", "Success"]]);
    expect((await read.fills({ limit: 10 })).items.map((f) => f.orderId)).toEqual(["s1:AAPL:1"]);
    // running again changes nothing
    expect((await migrate(db)).results).toEqual([]);
  });

  it("audits a command from its submission and completes it with its first outcome only, paged and filtered", async () => {
    const submitted = (commandId: string, strategyId: string, submittedAt: number): DomainEvent => ({
      type: "command.submitted",
      id: commandId,
      ts: submittedAt,
      data: {
        commandId,
        kind: "strategy.pause",
        strategyId,
        payload: {},
        actor: { subject: "tess", username: "tess", role: "trader" },
        requestHash: "b".repeat(64),
        submittedAt,
      },
    });
    const outcome = { kind: "strategy.pause" as const, strategyId: "s1", orderId: null, tsEvent: 5_000, tsInit: 1_000 };
    await applyBatch(
      db,
      batch("strategy.commands.v1", 0, 0, [
        submitted("cmd-a-0001", "s1", 1_000),
        submitted("cmd-b-0001", "s2", 2_000),
        { type: "command.applied", id: "cmd-a-0001:applied", ts: 5_000, data: { ...outcome, commandId: "cmd-a-0001" } },
      ]),
    );
    // a later answer to the same command (none should come) does not overwrite the first; one for an unknown command is nothing
    await applyBatch(
      db,
      batch("strategy.commands.v1", 0, 3, [
        {
          type: "command.rejected",
          id: "cmd-a-0001:rejected",
          ts: 6_000,
          data: { ...outcome, commandId: "cmd-a-0001", reason: "already-paused", detail: "x", tsEvent: 6_000 },
        },
        { type: "command.applied", id: "cmd-z-0001:applied", ts: 6_000, data: { ...outcome, commandId: "cmd-z-0001" } },
      ]),
    );
    expect(await read.command("cmd-a-0001")).toEqual({
      requestHash: "b".repeat(64),
      view: {
        commandId: "cmd-a-0001",
        kind: "strategy.pause",
        strategyId: "s1",
        payload: {},
        actor: { subject: "tess", username: "tess", role: "trader" },
        submittedAt: 1_000,
        status: "applied",
        reason: null,
        detail: null,
        orderId: null,
        appliedAt: 5_000,
      },
    });
    expect(await read.command("cmd-z-0001")).toBeNull();
    const all = await read.commands({ limit: 1 });
    expect(all.items.map((c) => [c.commandId, c.status])).toEqual([["cmd-b-0001", "pending"]]);
    const next = await read.commands({ limit: 1, cursor: all.next! });
    expect(next.items.map((c) => c.commandId)).toEqual(["cmd-a-0001"]);
    expect((await read.commands({ limit: 10, status: "pending" })).items.map((c) => c.commandId)).toEqual([
      "cmd-b-0001",
    ]);
    expect((await read.commands({ limit: 10, strategy: "s1", from: 500, to: 1_500 })).items).toHaveLength(1);
  });

  it("applies a batch once: a redelivered batch and the part of an overlapping one below the stored offset are skipped", async () => {
    const first = await applyBatch(db, batch("strategy.orders.v1", 2, 10, [fill(1), fill(2)]));
    expect(first).toEqual({ applied: 2, rows: { order_events: 2, fills: 2, orders: 2 } });
    expect(await applyBatch(db, batch("strategy.orders.v1", 2, 10, [fill(1), fill(2)]))).toEqual({
      applied: 0,
      rows: {},
    });
    // offsets 11 and 12: only 12 is new
    const overlap = await applyBatch(db, batch("strategy.orders.v1", 2, 11, [fill(2), fill(3)]));
    expect(overlap.applied).toBe(1);
    expect(await storedOffsets(db, GROUP)).toEqual([{ topic: "strategy.orders.v1", partition: 2, nextOffset: "13" }]);
    expect((await read.fills({ limit: 10 })).items.map((f) => f.orderId)).toEqual([
      "s1:AAPL:3",
      "s1:AAPL:2",
      "s1:AAPL:1",
    ]);
    // a dead-lettered record (no event) still moves the offset
    await applyBatch(db, {
      groupId: GROUP,
      topic: "strategy.orders.v1",
      partition: 2,
      records: [{ offset: "13", event: null }],
    });
    expect((await storedOffsets(db, GROUP))[0]!.nextOffset).toBe("14");
  });

  it("keeps an order at its latest state across batches: working, partly filled, then filled at the average price", async () => {
    const orderId = "s1:AAPL:7";
    const o = { ...ref, orderId };
    await applyBatch(
      db,
      batch("strategy.orders.v1", 0, 0, [
        {
          type: "order.submitted",
          id: `${orderId}:submitted`,
          ts: 10,
          data: {
            ...o,
            tsEvent: 10,
            tsInit: 10,
            quantity: 10,
            type: "limit",
            timeInForce: "GTC",
            limitPrice: 99.5,
            stopPrice: null,
            expireAt: null,
            reduceOnly: false,
            postOnly: false,
            parentId: null,
            signalId: "s1:AAPL:signal:3",
          },
        },
        { type: "order.accepted", id: `${orderId}:accepted`, ts: 10, data: { ...o, tsEvent: 10, tsInit: 10 } },
        fill(0, {
          ...o,
          tsEvent: 20,
          quantity: 4,
          cumulativeQuantity: 4,
          leavesQuantity: 6,
          price: 99.5,
          averagePrice: 99.5,
        }),
      ]),
    );
    let [order] = (await read.orders({ limit: 5 })).items;
    expect(order).toMatchObject({
      orderId,
      status: "partially-filled",
      filledQuantity: 4,
      averagePrice: 99.5,
      quantity: 10,
    });
    // (4 x 99.5 + 6 x 99.4) / 10 = 99.44
    await applyBatch(
      db,
      batch("strategy.orders.v1", 0, 3, [
        fill(0, {
          ...o,
          tsEvent: 30,
          fillNo: 2,
          quantity: 6,
          cumulativeQuantity: 10,
          leavesQuantity: 0,
          price: 99.4,
          averagePrice: 99.44,
        }),
      ]),
    );
    [order] = (await read.orders({ limit: 5 })).items;
    expect(order).toEqual({
      orderId,
      strategyId: "s1",
      symbol: "AAPL",
      side: "buy",
      type: "limit",
      timeInForce: "GTC",
      quantity: 10,
      limitPrice: 99.5,
      stopPrice: null,
      parentId: null,
      signalId: "s1:AAPL:signal:3",
      status: "filled",
      filledQuantity: 10,
      averagePrice: 99.44,
      reason: null,
      submittedAt: 10,
      updatedAt: 30,
    });
    expect((await read.orders({ limit: 5, status: "working" })).items).toEqual([]);
    expect((await read.orders({ limit: 5, status: "filled", type: "limit", side: "buy" })).items).toHaveLength(1);
  });

  it("pages 10,000 fills newest first, each exactly once, while more are stored between pages", async () => {
    const total = 10_000;
    const events = Array.from({ length: total }, (_, i) => fill(i + 1));
    for (let i = 0; i < total; i += 2_500)
      await applyBatch(db, batch("strategy.orders.v1", 0, i, events.slice(i, i + 2_500)));
    const seen: string[] = [];
    let cursor: string | undefined;
    let extra = total;
    for (;;) {
      const page = await read.fills({ limit: 997, cursor });
      seen.push(...page.items.map((f) => f.orderId));
      // a concurrent writer: new fills land ahead of the cursor, never inside the pages still to come
      extra += 1;
      await applyBatch(db, batch("strategy.orders.v1", 0, extra - 1, [fill(extra)]));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(seen).toHaveLength(total);
    expect(seen).toEqual(events.map((e) => (e.data as OrderFilled).orderId).reverse());
  });

  it("takes time ranges as [from, to) on tsEvent, with filters, and refuses what is no cursor", async () => {
    await applyBatch(
      db,
      batch("strategy.orders.v1", 0, 0, [
        fill(1),
        fill(2),
        fill(3),
        fill(4, { symbol: "MSFT", orderId: "s1:MSFT:4" }),
        fill(5, { strategyId: "s2", orderId: "s2:AAPL:5" }),
      ]),
    );
    // tsEvent 1,001 .. 1,005
    const ids = async (f: Parameters<ReadSide["fills"]>[0]) => (await read.fills(f)).items.map((x) => x.orderId);
    expect(await ids({ limit: 10, from: 1_002, to: 1_004 })).toEqual(["s1:AAPL:3", "s1:AAPL:2"]);
    expect(await ids({ limit: 10, from: 1_005 })).toEqual(["s2:AAPL:5"]);
    expect(await ids({ limit: 10, to: 1_001 })).toEqual([]);
    expect(await ids({ limit: 10, symbol: "MSFT" })).toEqual(["s1:MSFT:4"]);
    expect(await ids({ limit: 10, strategy: "s2" })).toEqual(["s2:AAPL:5"]);
    expect(await ids({ limit: 10, side: "sell", strategy: "s1", symbol: "AAPL" })).toEqual(["s1:AAPL:2"]);
    // a cursor is the key of the last row served: the next page starts right after it
    const page = await read.fills({ limit: 2 });
    expect(await ids({ limit: 10, cursor: page.next! })).toEqual(["s1:AAPL:3", "s1:AAPL:2", "s1:AAPL:1"]);
    await expect(read.fills({ limit: 1, cursor: "not-a-cursor" })).rejects.toThrow(InvalidCursorError);
  });

  it("serves equity samples per strategy and the portfolio's, with the latest accounts and the drawdown since start", async () => {
    const account = (strategyId: string, ts: number, equity: number) => ({
      type: "equity.sampled" as const,
      id: `${strategyId}:equity:${ts}`,
      ts,
      data: {
        strategyId,
        startingCash: 100_000,
        cash: equity,
        equity,
        realizedPnl: equity - 100_000,
        unrealizedPnl: 0,
        fees: 0,
        netPnl: equity - 100_000,
        grossExposure: 0,
        drawdown: 0,
        maxDrawdown: 0,
        maxDrawdownDurationMs: 0,
        peakEquity: Math.max(100_000, equity),
        halted: false,
        closingFills: 0,
        winningFills: 0,
        tsEvent: ts,
        tsInit: ts,
      },
    });
    const portfolio = (ts: number, equity: number, drawdown: number) => ({
      type: "portfolio.sampled" as const,
      id: `portfolio:equity:${ts}`,
      ts,
      data: {
        startingCash: 200_000,
        equity,
        realizedPnl: equity - 200_000,
        unrealizedPnl: 0,
        fees: 0,
        netPnl: equity - 200_000,
        drawdown,
        maxDrawdown: drawdown,
        maxDrawdownDurationMs: 0,
        tsEvent: ts,
        tsInit: ts,
      },
    });
    await applyBatch(
      db,
      batch("strategy.equity.v1", 0, 0, [
        account("s1", 60_000, 100_500),
        account("s2", 60_000, 99_000),
        portfolio(60_000, 199_500, 0.0025),
        account("s1", 120_000, 101_000),
        // the same instant again (another symbol's bar closed later): the later sample wins
        account("s1", 120_000, 101_200),
        portfolio(120_000, 200_200, 0),
      ]),
    );
    const s1 = await read.equity({ limit: 1, strategy: "s1" });
    expect(s1.items).toEqual([{ ts: 60_000, equity: 100_500, netPnl: 500, drawdown: 0, maxDrawdown: 0 }]);
    const s1Next = await read.equity({ limit: 1, strategy: "s1", cursor: s1.next! });
    expect(s1Next).toEqual({
      items: [{ ts: 120_000, equity: 101_200, netPnl: 1_200, drawdown: 0, maxDrawdown: 0 }],
      next: null,
    });
    expect((await read.equity({ limit: 10 })).items.map((p) => [p.ts, p.equity])).toEqual([
      [60_000, 199_500],
      [120_000, 200_200],
    ]);
    const view = await read.portfolio(500);
    expect(view).toMatchObject({ equity: 200_200, netPnl: 200, startingCash: 200_000 });
    expect(view!.strategies.map((s) => [s.strategyId, s.equity])).toEqual([
      ["s1", 101_200],
      ["s2", 99_000],
    ]);
    expect(view!.equityCurve).toEqual([
      { ts: 60_000, equity: 199_500, drawdown: 0.0025 },
      { ts: 120_000, equity: 200_200, drawdown: 0 },
    ]);
    expect(await read.knowsStrategy("s2")).toBe(true);
    expect(await read.knowsStrategy("nope")).toBe(false);
  });
});

describe("embedded PGlite under hostile connections", () => {
  it("cuts a connection that sends no PostgreSQL protocol, and keeps serving the others", async () => {
    const embedded = await serveEmbeddedDatabase({});
    const db = openDatabase({ kind: "postgres", url: embedded.url }, { maxConnections: 1 });
    try {
      await migrate(db);
      const { host, port } = new URL(embedded.url);
      const garbage = [
        Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), // a startup packet of length 0
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0]), // of negative length
        Buffer.concat([startupPacket(), Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff])]), // a message of negative length
      ];
      for (const bytes of garbage) {
        const closed = await new Promise<boolean>((resolve) => {
          const socket = connect(Number(port), host, () => socket.write(bytes));
          socket.on("data", () => {});
          socket.on("error", () => resolve(true));
          socket.on("close", () => resolve(true));
          setTimeout(() => resolve(false), 5_000);
        });
        expect(closed, bytes.toString("hex").slice(0, 40)).toBe(true);
      }
      await applyBatch(db, batch("strategy.orders.v1", 0, 0, [fill(1)]));
      expect((await new ReadSide(db).fills({ limit: 5 })).items.map((f) => f.orderId)).toEqual(["s1:AAPL:1"]);
    } finally {
      await db.destroy();
      await embedded.close();
    }
  });
});

/** A valid startup packet (protocol 3.0, user postgres), as a client's first bytes. */
function startupPacket(): Buffer {
  const body = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(196_608, 4);
  return Buffer.concat([head, body]);
}
