import { createServer, type Server } from "node:http";
import { DLQ_HEADERS, KafkaBus, TOPIC_IDS, type BusRecord, type OutgoingRecord } from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gatewayConfig } from "../src/config";
import { startLocalGateway, type LocalGateway } from "../src/local/adapter";
import { RISK_CONSUMER_TOPICS } from "../src/risk-consumer/handler";
import type { Alert, Health } from "../src/schemas";
import { haltRecord, sample } from "./support/events";
import { tickValue, uniquePrefix, until, Worker } from "@tickflow/test-support";
import { strategyEnv } from "./support/workers";
import { serveEmbeddedDatabase, type EmbeddedDatabase } from "@tickflow/read-side/local";

let database: EmbeddedDatabase;

/**
 * Issue 9, finding 6: junk on strategy.risk.v1 and strategy.orders.v1 made the risk/alerts
 * consumer livelock (three tries with sleeps and no heartbeat per record: eight in one batch
 * outlived the session, the member was evicted, the commit failed, the batch came back,
 * forever). Here 24 junk records, a forged halt and valid records go through the local gateway's
 * consumer on a real broker, with the broker's shortest session timeout.
 */
const brokers = inject("kafkaBrokers");
const SESSION_TIMEOUT_MS = 6_000;
const T = Date.UTC(2026, 2, 2, 17, 0);

let prefix: string;
let bus: KafkaBus;
let strategy: Worker;
let marketData: Server;
let gateway: LocalGateway;
const metrics = new PrometheusMetrics({ service: "gateway" });

/** Every way a record can fail to decode, with the DLQ reason and the start of the error it must carry. */
const JUNK: { value: Buffer | null; reason: string; error: RegExp }[] = [
  { value: Buffer.from("{not json"), reason: "invalid-json", error: /^not JSON: / },
  { value: null, reason: "tombstone", error: /^record is a tombstone/ },
  { value: Buffer.alloc(0), reason: "empty", error: /^record value is empty/ },
  { value: Buffer.from(JSON.stringify({ type: "risk.halted" })), reason: "invalid-envelope", error: /^bad envelope: / },
  {
    value: Buffer.from(JSON.stringify({ type: "trade.print", version: 1, id: "x", ts: 1, source: "s", data: {} })),
    reason: "unknown-type",
    error: /^unknown event type "trade.print"/,
  },
  {
    value: Buffer.from(JSON.stringify({ type: "risk.halted", version: 9, id: "x", ts: 1, source: "s", data: {} })),
    reason: "unknown-version",
    error: /^risk.halted version 9 is not supported/,
  },
  {
    value: tickValue("AAPL", 1),
    reason: "unexpected-type",
    error: /^quote.tick is not expected here/,
  },
  {
    value: Buffer.from(JSON.stringify({ type: "risk.halted", version: 1, id: "x", ts: 1, source: "s", data: {} })),
    reason: "invalid-data",
    error: /^invalid risk.halted data: /,
  },
];

/** 12 junk records per topic, each kind at least once, all on one key: one partition, one batch. */
const junkFor = (topic: "risk" | "orders"): OutgoingRecord[] =>
  // a tombstone is a null value, which only the wire knows: the bus's types say Buffer
  Array.from({ length: 12 }, (_, i) => ({
    topic,
    key: "junk",
    value: JUNK[(i + (topic === "orders" ? 4 : 0)) % JUNK.length]!.value as Buffer,
  }));

const sourceOf = (r: BusRecord) =>
  `${r.headers[DLQ_HEADERS.sourceTopic]}[${r.headers[DLQ_HEADERS.sourcePartition]}]@${r.headers[DLQ_HEADERS.sourceOffset]}`;

beforeAll(async () => {
  prefix = uniquePrefix("risk-consumer");
  bus = new KafkaBus({ clientId: "risk-consumer-int", brokers: brokers.split(",") }, prefix, undefined, {
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: 500,
  });
  await bus.ensureTopics();
  await until("leaders for the new topics", () => Promise.all(TOPIC_IDS.map((t) => bus.offsets(t))), 30_000);
  // the real strategy worker, for its /strategies (sma, mr, bo); no quotes are published, so it emits nothing
  strategy = await Worker.start("strategy", {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    ...strategyEnv("0.1"),
  });
  // market-data's health only: the records here do not involve it
  marketData = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'),
  );
  await new Promise<void>((resolve) => marketData.listen(0, "127.0.0.1", resolve));

  const publisher = await bus.publisher();
  try {
    await publisher.publish([
      ...junkFor("risk"),
      { topic: "risk", key: "ghost", value: haltRecord("ghost", T) },
      { topic: "risk", key: "sma", value: haltRecord("sma", T + 1) },
      ...junkFor("orders"),
      { topic: "risk", key: "mr", value: haltRecord("mr", T + 2) },
    ]);
  } finally {
    await publisher.close();
  }

  // health checks the read side too: an empty one that answers
  database = await serveEmbeddedDatabase({});
  gateway = await startLocalGateway({
    config: gatewayConfig({
      GATEWAY_PORT: "0",
      MARKET_DATA_URL: `http://127.0.0.1:${(marketData.address() as { port: number }).port}`,
      STRATEGY_URL: strategy.url,
      DATABASE_URL: database.url,
      ALERTS_GROUP_ID: `${prefix}alerts`,
      LOG_LEVEL: "silent",
    }),
    bus,
    metrics,
    logger: pino({ level: "silent" }),
    riskConsumer: { lagIntervalMs: 250 },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await database?.close();
  await bus?.close();
  await strategy?.stop();
  await new Promise<void>((resolve) => (marketData ? marketData.close(() => resolve()) : resolve()));
});

describe("the risk/alerts consumer on a real broker, fed junk", () => {
  it("commits to the end of both topics, dead-letters each junk record exactly once with its real error and reason, and alerts only real halts", async () => {
    // Assess: the group's committed offsets reach the end of both topics (a livelocked consumer never does)
    await until(
      "the consumer group to commit the end of both topics",
      async () => {
        for (const topic of RISK_CONSUMER_TOPICS) {
          const [ends, committed] = await Promise.all([bus.offsets(topic), bus.groupOffsets(`${prefix}alerts`, topic)]);
          for (const end of ends) {
            const at = committed.find((c) => c.partition === end.partition)?.offset;
            if (end.high !== "0" && at !== end.high)
              throw new Error(`${topic}[${end.partition}] committed at ${at}, not ${end.high}`);
          }
        }
      },
      60_000,
    );

    const dlq = await bus.readTail("dlq", 1_000);
    const sources = dlq.map(sourceOf);
    // each record once: 24 junk and the forged halt
    expect(dlq).toHaveLength(25);
    expect(new Set(sources).size).toBe(25);
    const riskName = bus.topicName("risk");
    const ordersName = bus.topicName("orders");
    const risk = dlq.filter((r) => r.headers[DLQ_HEADERS.sourceTopic] === riskName);
    const orders = dlq.filter((r) => r.headers[DLQ_HEADERS.sourceTopic] === ordersName);
    expect([risk.length, orders.length]).toEqual([13, 12]);
    const check = (letters: BusRecord[], topic: "risk" | "orders") => {
      const junk = letters
        .filter((r) => r.key === "junk")
        .sort((a, b) => Number(a.headers[DLQ_HEADERS.sourceOffset]) - Number(b.headers[DLQ_HEADERS.sourceOffset]));
      expect(junk).toHaveLength(12);
      junk.forEach((letter, i) => {
        const expected = JUNK[(i + (topic === "orders" ? 4 : 0)) % JUNK.length]!;
        expect(letter.headers[DLQ_HEADERS.reason], `${topic} junk #${i}`).toBe(expected.reason);
        expect(letter.headers[DLQ_HEADERS.error], `${topic} junk #${i}`).toMatch(expected.error);
        expect(letter.value).toEqual(expected.value ?? Buffer.alloc(0));
      });
    };
    check(risk, "risk");
    check(orders, "orders");
    const forged = risk.find((r) => r.key === "ghost");
    expect(forged?.headers[DLQ_HEADERS.reason]).toBe("unknown-strategy");
    expect(forged?.headers[DLQ_HEADERS.error]).toBe(
      'risk.halted for strategy "ghost", which the strategy worker does not run',
    );
    // no record was given up on after retries: each was refused for what it is
    expect(dlq.filter((r) => r.headers[DLQ_HEADERS.reason] === "consumer-failed")).toEqual([]);

    const alerts = (await (await fetch(`${gateway.url}/api/alerts?limit=100`)).json()) as Alert[];
    expect(alerts.map((a) => a.id)).toEqual([`mr:${T + 2}`, `sma:${T + 1}`]);

    // counted once per record, not per attempt
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "undecodable" })).toBe(24);
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "unknown-strategy" })).toBe(1);
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "risk.halted" })).toBe(2);
    expect(
      await sample(metrics, "tickflow_dlq_messages_total", { topic: ordersName, reason: "tombstone" }),
    ).toBeGreaterThan(0);
  }, 120_000);

  it("reports the consumer in /api/health: up, its group, no lag", async () => {
    const health = await until(
      "health to report the consumer caught up",
      async () => {
        const response = await fetch(`${gateway.url}/api/health`);
        const body = (await response.json()) as Health;
        if (response.status !== 200 || !body.consumers?.every((c) => c.lag === 0))
          throw new Error(`health ${response.status}: ${JSON.stringify(body)}`);
        return body;
      },
      30_000,
    );

    expect(health.status).toBe("up");
    // beside it, the stream's consumer (/api/stream), in a group of its own
    expect(health.consumers).toEqual([
      { name: "risk-alerts", group: `${prefix}alerts`, status: "up", lag: 0 },
      { name: "stream", group: gateway.stream.groupId, status: "up", lag: 0 },
    ]);
  });
});
