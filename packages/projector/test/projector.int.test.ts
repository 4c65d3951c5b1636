import { DLQ_HEADERS, KafkaBus, decodeEvent, type BusRecord, type DecodedEvent, type TopicId } from "@tickflow/bus";
import { startKafka, stopKafka } from "@tickflow/local-kafka";
import { openDatabase, type ReadSideDb } from "@tickflow/read-side";
import { startLocalPostgres, type LocalPostgres } from "@tickflow/read-side/local";
import { RETAIN_ALL, uniquePrefix, until, Worker } from "@tickflow/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECTED_TOPICS } from "../src";

const SYMBOLS = ["AAPL", "BTC-USD", "EUR-USD"];
const STRATEGIES = [
  { id: "sma", kind: "sma-crossover", symbols: SYMBOLS, params: { fast: 2, slow: 4 } },
  { id: "mr", kind: "mean-reversion", symbols: SYMBOLS, params: { window: 5, entryZ: 1, exitZ: 0.2 } },
];
const TICKS = 9_000;
/** A broker of its own: this test restarts it. */
const BROKER = { port: 19492, name: "projector-test" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every committed record of a topic, with its offset, decoded where it decodes. */
async function topicRecords(
  bus: KafkaBus,
  topic: TopicId,
): Promise<{ record: BusRecord; event: DecodedEvent | null }[]> {
  return (await bus.readTail(topic, 10_000_000)).map((record) => {
    try {
      return { record, event: decodeEvent(record.value) };
    } catch {
      return { record, event: null };
    }
  });
}

/**
 * What the tables must hold for what the topics hold, computed from the records alone: the event
 * tables one row per event id, the latest-state tables the last record per key in offset order
 * (one key lives on one partition), the orders one row per order id.
 */
async function expectedRows(bus: KafkaBus) {
  const all = new Map<TopicId, DecodedEvent[]>();
  for (const id of PROJECTED_TOPICS)
    all.set(
      id,
      (await topicRecords(bus, id))
        .sort(
          (a, b) =>
            a.record.partition - b.record.partition || Number(BigInt(a.record.offset) - BigInt(b.record.offset)),
        )
        .flatMap((r) => (r.event ? [r.event] : [])),
    );
  const events = (id: TopicId) => all.get(id)!;
  const latest = <K>(list: DecodedEvent[], key: (e: DecodedEvent) => K) => {
    const m = new Map<K, unknown>();
    for (const e of list) m.set(key(e), e.data);
    return m;
  };
  const orderEvents = events("orders");
  return {
    signals: new Set(events("signals").map((e) => e.id)),
    orderEvents: new Set(orderEvents.map((e) => e.id)),
    fills: new Map(orderEvents.filter((e) => e.type === "order.filled").map((e) => [e.id, e.data])),
    orders: new Set(orderEvents.map((e) => (e.data as { orderId: string }).orderId)),
    trades: new Set(events("trades").map((e) => e.id)),
    bars: new Set(
      events("bars").map(
        (e) =>
          `${(e.data as { symbol: string }).symbol}:${(e.data as { interval: string }).interval}:${(e.data as { start: number }).start}`,
      ),
    ),
    positions: latest(
      events("positions"),
      (e) => `${(e.data as { strategyId: string }).strategyId}:${(e.data as { symbol: string }).symbol}`,
    ),
    equity: latest(
      events("equity").filter((e) => e.type === "equity.sampled"),
      (e) => `${(e.data as { strategyId: string }).strategyId}:${(e.data as { tsEvent: number }).tsEvent}`,
    ),
    portfolio: latest(
      events("equity").filter((e) => e.type === "portfolio.sampled"),
      (e) => String((e.data as { tsEvent: number }).tsEvent),
    ),
    risk: new Set(events("risk").map((e) => e.id)),
  };
}

async function actualRows(db: ReadSideDb) {
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  const ids = async (table: "signals" | "order_events" | "trades" | "risk_events") =>
    (await db.selectFrom(table).select("id").execute()).map((r) => r.id);
  return {
    signals: await ids("signals"),
    orderEvents: await ids("order_events"),
    fills: new Map((await db.selectFrom("fills").select(["id", "data"]).execute()).map((r) => [r.id, json(r.data)])),
    orders: (await db.selectFrom("orders").select("order_id").execute()).map((r) => r.order_id),
    trades: await ids("trades"),
    bars: (await db.selectFrom("bars").select(["symbol", "interval", "start"]).execute()).map(
      (r) => `${r.symbol}:${r.interval}:${Number(r.start)}`,
    ),
    positions: new Map(
      (await db.selectFrom("positions").select(["strategy_id", "symbol", "data"]).execute()).map((r) => [
        `${r.strategy_id}:${r.symbol}`,
        json(r.data),
      ]),
    ),
    equity: new Map(
      (await db.selectFrom("equity_points").select(["strategy_id", "ts_event", "data"]).execute()).map((r) => [
        `${r.strategy_id}:${Number(r.ts_event)}`,
        json(r.data),
      ]),
    ),
    portfolio: new Map(
      (await db.selectFrom("portfolio_points").select(["ts_event", "data"]).execute()).map((r) => [
        String(Number(r.ts_event)),
        json(r.data),
      ]),
    ),
    risk: await ids("risk_events"),
  };
}

/** The tables equal the topics, row for row: no loss, no duplicate, the same data. */
function compare(expected: Awaited<ReturnType<typeof expectedRows>>, actual: Awaited<ReturnType<typeof actualRows>>) {
  const asSet = (list: string[]) => {
    expect(new Set(list).size, "no duplicate rows").toBe(list.length);
    return new Set(list);
  };
  expect(asSet(actual.signals)).toEqual(expected.signals);
  expect(asSet(actual.orderEvents)).toEqual(expected.orderEvents);
  expect(actual.fills).toEqual(expected.fills);
  expect(asSet(actual.orders)).toEqual(expected.orders);
  expect(asSet(actual.trades)).toEqual(expected.trades);
  expect(asSet(actual.bars)).toEqual(expected.bars);
  expect(actual.positions).toEqual(expected.positions);
  expect(actual.equity).toEqual(expected.equity);
  expect(actual.portfolio).toEqual(expected.portfolio);
  expect(asSet(actual.risk)).toEqual(expected.risk);
}

describe("projector: engine outputs -> PostgreSQL, exactly once", () => {
  let pg: LocalPostgres;
  let brokers: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    pg = await startLocalPostgres();
    ({ brokers } = await startKafka(BROKER));
  });
  afterAll(async () => {
    for (const w of workers.reverse()) await w.stop();
    await stopKafka(BROKER).catch(() => {});
    await pg?.destroy();
  });

  it("survives kill -9 three times, a database restart and a broker restart, dead-letters poison, and ends with the tables equal to the topics", async () => {
    const prefix = uniquePrefix("projector");
    const kafkaEnv = { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_SESSION_TIMEOUT_MS: "6000" };
    const md = await Worker.start(
      "market-data",
      {
        ...kafkaEnv,
        MD_SYMBOLS: SYMBOLS.join(","),
        MD_SEED: "projector-1",
        MD_CLOCK: "simulated",
        MD_START_TIME: String(Date.UTC(2026, 2, 2, 14, 30)),
        MD_MAX_TICKS: String(TICKS),
        MD_TICKS_PER_SECOND: "250",
      },
      { supervise: true },
    );
    workers.push(md);
    workers.push(
      await Worker.start("strategy", { ...kafkaEnv, ST_STRATEGIES: JSON.stringify(STRATEGIES) }, { supervise: true }),
    );
    const projector = await Worker.start(
      "projector",
      { ...kafkaEnv, DATABASE_URL: pg.url, ...RETAIN_ALL },
      { supervise: true },
    );
    workers.push(projector);

    const bus = new KafkaBus({ clientId: "projector-test", brokers: brokers.split(",") }, prefix);
    const db = openDatabase({ kind: "postgres", url: pg.url }, { maxConnections: 1 });
    try {
      // poison on an output topic: not JSON, and a valid envelope of a type the topic does not carry
      const publisher = await bus.publisher();
      await publisher.publish([
        { topic: "orders", key: "sma", value: Buffer.from("{not json") },
        {
          topic: "orders",
          key: "mr",
          value: Buffer.from(
            JSON.stringify({ type: "quote.tick", version: 1, id: "x", ts: 1, source: "evil", data: {} }),
          ),
        },
      ]);
      await publisher.close();

      for (let i = 0; i < 3; i++) {
        await sleep(2_500);
        await projector.crashAndRestart();
      }
      // the database goes away for a while: the projector waits, holding its batch, and resumes
      await sleep(1_500);
      await pg.stop();
      await until(
        "the projector to report the database down",
        async () => {
          const h = await projector.health<{ database: { status: string } }>();
          if (h.database.status !== "down") throw new Error(JSON.stringify(h));
        },
        20_000,
      );
      await sleep(2_000);
      await pg.start();
      // the broker restarts: every client reconnects
      await sleep(1_500);
      await stopKafka(BROKER);
      await sleep(1_000);
      await startKafka(BROKER);

      await until(
        "all ticks published and the tables equal to the topics",
        async () => {
          const h = await md.health<{ feed: string }>();
          if (h.feed !== "exhausted") throw new Error(`market data is still publishing`);
          compare(await expectedRows(bus), await actualRows(db));
        },
        150_000,
      );
      const expected = await expectedRows(bus);
      expect(expected.fills.size, "the run made fills").toBeGreaterThan(3);
      expect(expected.equity.size).toBeGreaterThan(20);

      const dlq = await topicRecords(bus, "dlq");
      const fromOrders = dlq.filter((d) => d.record.headers[DLQ_HEADERS.sourceTopic] === `${prefix}strategy.orders.v1`);
      // at least once: a crash between the DLQ publish and the commit sends one again
      const source = (d: (typeof fromOrders)[number]) =>
        `${d.record.headers[DLQ_HEADERS.sourcePartition]}:${d.record.headers[DLQ_HEADERS.sourceOffset]}`;
      expect(new Set(fromOrders.map(source)).size).toBe(2);
      expect(new Set(fromOrders.map((d) => d.record.headers[DLQ_HEADERS.reason]))).toEqual(
        new Set(["invalid-json", "unexpected-type"]),
      );
    } finally {
      await db.destroy();
      await bus.close();
    }
  });
});
