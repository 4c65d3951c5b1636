import { createServer, type Server } from "node:http";
import {
  DLQ_HEADERS,
  MemoryBus,
  type BatchControl,
  type Bus,
  type BusRecord,
  type OutgoingRecord,
  type SubscribeOptions,
} from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import { serveEmbeddedDatabase } from "@tickflow/read-side/local";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AlertStore } from "../src/alerts";
import { ENDPOINTS } from "../src/http/endpoints";
import {
  startLocalRiskConsumer,
  type LocalRiskConsumer,
  type LocalRiskConsumerOptions,
} from "../src/local/risk-consumer";
import { StoreChannel, type AlertChannel } from "../src/risk-consumer/channels";
import { createRiskConsumer } from "../src/risk-consumer/handler";
import type { StrategyDirectory } from "../src/risk-consumer/strategies";
import { HealthSchema, type Alert, type Health } from "../src/schemas";
import { context, haltRecord, httpEvent, parse, sample, testDeps } from "./support/events";
import { until } from "@tickflow/test-support";

const logger = pino({ level: "silent" });
const T = Date.UTC(2026, 2, 2, 16, 0);

const halt = (strategyId: string, tsEvent: number): OutgoingRecord => ({
  topic: "risk",
  key: strategyId,
  value: haltRecord(strategyId, tsEvent),
});
const junk = (topic: "risk" | "orders", key: string, text: string): OutgoingRecord => ({
  topic,
  key,
  value: Buffer.from(text),
});

/** The strategies the worker runs; `down` makes every lookup fail as an unreachable worker does. */
function strategiesOf(ids: string[]): StrategyDirectory & { down: boolean } {
  return {
    down: false,
    async has(id) {
      if (this.down) throw new Error("strategy is unreachable (ECONNREFUSED)");
      return ids.includes(id);
    },
  };
}

/** An alert channel that fails while `failing`, as SNS does in an outage. */
function flakyChannel(): AlertChannel & { failing: boolean; sent: Alert[] } {
  return {
    name: "sns",
    failing: false,
    sent: [],
    async send(alert) {
      if (this.failing) throw new Error("Throttling: Rate exceeded");
      this.sent.push(alert);
      return true;
    },
  };
}

interface Spy {
  batches: number;
  heartbeats: number;
  commits: number;
  /** Time left when each batch began. */
  budgets: number[];
}

/** The memory bus with every batch control counted: the consumer's heartbeats, commits and budgets. */
function spied(memory: MemoryBus): { bus: Bus; spy: Spy } {
  const spy: Spy = { batches: 0, heartbeats: 0, commits: 0, budgets: [] };
  const bus = new Proxy(memory, {
    get(target, property) {
      if (property === "subscribe") {
        return (options: SubscribeOptions) =>
          target.subscribe({
            ...options,
            onBatch: (records: BusRecord[], control: BatchControl) => {
              spy.batches += 1;
              spy.budgets.push(control.timeLeftMs());
              return options.onBatch(records, {
                ...control,
                heartbeat: async () => {
                  spy.heartbeats += 1;
                  await control.heartbeat();
                },
                commit: async () => {
                  spy.commits += 1;
                  await control.commit();
                },
              });
            },
          });
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Bus;
  return { bus, spy };
}

interface Running {
  memory: MemoryBus;
  spy: Spy;
  consumer: LocalRiskConsumer;
  store: AlertStore;
  metrics: PrometheusMetrics;
  channel: ReturnType<typeof flakyChannel>;
  strategies: ReturnType<typeof strategiesOf>;
  dlq(): Promise<BusRecord[]>;
  committed(topic: "risk" | "orders"): Promise<string[]>;
}

const running: Running[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.consumer.stop().catch(() => {});
  for (const close of closers.splice(0)) await close();
});

/** A local risk consumer on a fresh memory bus, with `before` on the bus before it starts. */
async function start(
  options: { before?: OutgoingRecord[]; ids?: string[]; consumer?: Partial<LocalRiskConsumerOptions> } = {},
): Promise<Running> {
  const memory = new MemoryBus();
  const { bus, spy } = spied(memory);
  if (options.before) await (await memory.publisher()).publish(options.before);
  const store = new AlertStore();
  const metrics = new PrometheusMetrics({ service: "gateway" });
  const channel = flakyChannel();
  const strategies = strategiesOf(options.ids ?? ["sma", "mr"]);
  const consumer = await startLocalRiskConsumer({
    bus,
    groupId: "alerts",
    createHandler: (onRecordFailure) =>
      createRiskConsumer({
        metrics,
        logger,
        channels: [new StoreChannel(store), channel],
        strategies,
        partialBatchResponses: true,
        onRecordFailure,
      }),
    strategies,
    store,
    metrics,
    logger,
    retryDelayMs: 10,
    ...options.consumer,
  });
  const r: Running = {
    memory,
    spy,
    consumer,
    store,
    metrics,
    channel,
    strategies,
    dlq: () => memory.readTail("dlq", 1_000),
    committed: async (topic) => (await memory.groupOffsets("alerts", topic)).map((c) => c.offset),
  };
  running.push(r);
  return r;
}

const publish = async (r: Running, records: OutgoingRecord[]) => (await r.memory.publisher()).publish(records);
const highs = async (r: Running, topic: "risk" | "orders") => (await r.memory.offsets(topic)).map((o) => o.high);

describe("the local risk/alerts consumer", () => {
  it("dead-letters each of many junk records once, with its real error and reason, without retrying them, and commits after each", async () => {
    // Prepare: 24 junk records ahead of a valid halt, as in the livelock of issue 9
    const before = [
      ...Array.from({ length: 12 }, (_, i) => junk("risk", "x", `{junk ${i}`)),
      ...Array.from({ length: 12 }, (_, i) => junk("orders", `k${i}`, `not an event ${i}`)),
      halt("sma", T),
    ];

    // Act
    const r = await start({ before });
    await until(
      "the end of strategy.risk.v1",
      async () => (await r.committed("risk")).join() === (await highs(r, "risk")).join(),
      10_000,
    );
    await until(
      "the end of strategy.orders.v1",
      async () => (await r.committed("orders")).join() === (await highs(r, "orders")).join(),
      10_000,
    );

    // Assess
    const dlq = await r.dlq();
    expect(dlq).toHaveLength(24);
    expect(
      new Set(
        dlq.map(
          (d) =>
            `${d.headers[DLQ_HEADERS.sourceTopic]}@${d.headers[DLQ_HEADERS.sourcePartition]}@${d.headers[DLQ_HEADERS.sourceOffset]}`,
        ),
      ).size,
    ).toBe(24);
    for (const letter of dlq) {
      expect(letter.headers[DLQ_HEADERS.reason]).toBe("invalid-json");
      expect(letter.headers[DLQ_HEADERS.error]).toMatch(/^not JSON: /);
    }
    expect(r.spy.commits).toBe(24);
    expect(
      await sample(r.metrics, "tickflow_dlq_messages_total", { topic: "strategy.risk.v1", reason: "invalid-json" }),
    ).toBe(12);
    expect(
      await sample(r.metrics, "tickflow_dlq_messages_total", { topic: "strategy.orders.v1", reason: "invalid-json" }),
    ).toBe(12);
    expect(await sample(r.metrics, "tickflow_risk_events_total", { type: "undecodable" })).toBe(24);
    expect((await r.store.recent(10)).map((a) => a.id)).toEqual([`sma:${T}`]);
  });

  it("retries a failure that may pass (SNS down) and after maxAttempts dead-letters it as consumer-failed with its last error, heartbeating between tries", async () => {
    const r = await start();
    r.channel.failing = true;

    await publish(r, [halt("sma", T), halt("mr", T + 1)]);
    const [letter] = await until(
      "the dead letter",
      async () => {
        const dlq = await r.dlq();
        return dlq.length > 0 ? dlq : false;
      },
      10_000,
    );
    r.channel.failing = false;

    expect(letter!.headers[DLQ_HEADERS.reason]).toBe("consumer-failed");
    expect(letter!.headers[DLQ_HEADERS.error]).toBe("Throttling: Rate exceeded (failed 3 times)");
    expect(letter!.headers[DLQ_HEADERS.sourceOffset]).toBe("0");
    // the record after it is handled
    await until("the next halt's alert", () => r.channel.sent.some((a) => a.strategyId === "mr"), 10_000);
    expect(r.spy.heartbeats).toBeGreaterThanOrEqual(3);
    expect(
      await sample(r.metrics, "tickflow_dlq_messages_total", { topic: "strategy.risk.v1", reason: "consumer-failed" }),
    ).toBe(1);
  });

  it("alerts a halt once when a retried failure passes, and dead-letters nothing", async () => {
    const r = await start({ consumer: { maxAttempts: 50, retryDelayMs: 20 } });
    r.channel.failing = true;

    await publish(r, [halt("sma", T)]);
    await until("the memory channel to take the alert", async () => (await r.store.recent(1)).length > 0, 10_000);
    r.channel.failing = false;
    await until("the SNS channel to take it", () => r.channel.sent.length > 0, 10_000);

    expect(r.channel.sent.map((a) => a.id)).toEqual([`sma:${T}`]);
    expect(await r.dlq()).toEqual([]);
    expect(await sample(r.metrics, "tickflow_alerts_sent_total", { strategy: "sma", channel: "memory" })).toBe(1);
  });

  it("dead-letters a forged halt of a strategy that does not run as unknown-strategy and never alerts it; a real halt beside it is alerted", async () => {
    const r = await start();

    await publish(r, [halt("ghost", T), halt("sma", T + 1)]);
    await until("the real halt's alert", async () => (await r.store.recent(10)).length > 0, 10_000);
    const dlq = await until(
      "the dead letter",
      async () => {
        const records = await r.dlq();
        return records.length > 0 ? records : false;
      },
      10_000,
    );

    expect((await r.store.recent(10)).map((a) => a.strategyId)).toEqual(["sma"]);
    expect(r.channel.sent.map((a) => a.strategyId)).toEqual(["sma"]);
    expect(dlq.map((d) => [d.key, d.headers[DLQ_HEADERS.reason], d.headers[DLQ_HEADERS.error]])).toEqual([
      ["ghost", "unknown-strategy", 'risk.halted for strategy "ghost", which the strategy worker does not run'],
    ]);
  });

  it("retries a halt while the strategy worker cannot be asked, and alerts it when it can: never dropped, never taken for forged", async () => {
    const r = await start({ consumer: { maxAttempts: 1_000, retryDelayMs: 10 } });
    r.strategies.down = true;

    await publish(r, [halt("sma", T)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await r.store.recent(10)).toEqual([]);
    r.strategies.down = false;

    await until("the alert", async () => (await r.store.recent(10)).length > 0, 10_000);
    expect(await r.dlq()).toEqual([]);
  });

  it("gives tombstones and empty values their own reasons", async () => {
    const r = await start();

    await publish(r, [
      { topic: "orders", key: "t", value: null as unknown as Buffer },
      { topic: "orders", key: "e", value: Buffer.alloc(0) },
    ]);
    const dlq = await until(
      "both dead letters",
      async () => {
        const records = await r.dlq();
        return records.length === 2 ? records : false;
      },
      10_000,
    );

    expect(Object.fromEntries(dlq.map((d) => [d.key, d.headers[DLQ_HEADERS.reason]]))).toEqual({
      t: "tombstone",
      e: "empty",
    });
  });

  it("keeps each batch inside its time budget: slow work is split across batches, each record handled once", async () => {
    // Prepare: ten halts whose SNS publish takes 60 ms each, in 150 ms budgets
    const r = await start({ consumer: { batchBudgetMs: 150, invocationSize: 1 } });
    const slow = r.channel.send.bind(r.channel);
    r.channel.send = async (alert) => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      return slow(alert);
    };
    const before = r.spy.batches;

    await publish(
      r,
      Array.from({ length: 10 }, (_, i) => halt("sma", T + i)),
    );
    await until("the end of strategy.risk.v1", async () => (await r.committed("risk"))[0] === "10", 10_000);

    expect(r.channel.sent).toHaveLength(10);
    expect(new Set(r.channel.sent.map((a) => a.id)).size).toBe(10);
    expect(r.spy.batches - before).toBeGreaterThanOrEqual(3);
    for (const left of r.spy.budgets) expect(left).toBeLessThanOrEqual(150);
  });

  it("leaves out of priming the earlier halts of strategies that do not run, and waits for the worker to answer", async () => {
    const memory = new MemoryBus();
    await (await memory.publisher()).publish([halt("sma", T), halt("ghost", T + 1), halt("mr", T + 2)]);
    // the consumer group has already read them: priming is the only way they reach the store
    const store = new AlertStore();
    const strategies = strategiesOf(["sma", "mr"]);
    strategies.down = true;
    const metrics = new PrometheusMetrics({ service: "gateway" });
    await memory
      .subscribe({ groupId: "primed", topics: ["risk"], fromBeginning: true, onBatch: async () => {} })
      .then(async (s) => {
        await until(
          "the group to be at the end",
          async () => (await memory.groupOffsets("primed", "risk"))[0]?.offset === "3",
          10_000,
        );
        await s.stop();
      });

    const consumer = await startLocalRiskConsumer({
      bus: memory,
      groupId: "primed",
      createHandler: (onRecordFailure) =>
        createRiskConsumer({
          metrics,
          logger,
          channels: [new StoreChannel(store)],
          strategies,
          partialBatchResponses: true,
          onRecordFailure,
        }),
      strategies,
      store,
      metrics,
      logger,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await store.recent(10)).toEqual([]);
      strategies.down = false;
      await consumer.primed;

      expect((await store.recent(10)).map((a) => a.strategyId).sort()).toEqual(["mr", "sma"]);
    } finally {
      await consumer.stop();
    }
  });

  it("reports itself in /api/health: up while it advances, down with the stalled partition while it does not, down once stopped", async () => {
    // the health route checks the database too: one that is up
    const database = await serveEmbeddedDatabase({});
    closers.push(() => database.close());
    const r = await start({
      consumer: { maxAttempts: 1_000_000, retryDelayMs: 5, lagIntervalMs: 20, stallAfterMs: 150 },
    });
    expect(r.consumer.health()).toEqual({ name: "risk-alerts", group: "alerts", status: "up", lag: 0 });

    r.channel.failing = true;
    await publish(r, [halt("sma", T)]);
    const stalled = await until(
      "the consumer to be reported stalled",
      () => {
        const health = r.consumer.health();
        return health.status === "down" ? health : false;
      },
      10_000,
    );
    expect(stalled).toMatchObject({
      lag: 1,
      detail: expect.stringMatching(
        /^not advancing: strategy\.risk\.v1\[0\] has not advanced from offset 0 for \d+ s with 1 records behind$/,
      ),
    });

    // through the handler: a 503 whose Health body names the consumer (every dependency up, the database too)
    const deps = {
      ...testDeps({ MARKET_DATA_URL: workers.url, STRATEGY_URL: workers.url, DATABASE_URL: database.url }),
      consumers: [r.consumer],
    };
    const response = parse<Health>(await ENDPOINTS.health.create(deps)(httpEvent("health"), context()));
    expect(response.status).toBe(503);
    expect(HealthSchema.parse(response.body)).toEqual(response.body);
    expect(response.body.dependencies.map((d) => d.status)).toEqual(["up", "up", "up"]);
    expect(response.body.consumers).toEqual([stalled]);

    r.channel.failing = false;
    await until("the consumer to advance again", () => r.consumer.health().status === "up", 10_000);
    expect(parse<Health>(await ENDPOINTS.health.create(deps)(httpEvent("health"), context())).status).toBe(200);

    await r.consumer.stop();
    expect(r.consumer.health()).toMatchObject({ status: "down", detail: "the risk/alerts consumer has stopped" });
  });
});

/** Both workers' /health, answering 200: the health route's dependencies up. */
const workers: { server?: Server; url: string } = { url: "" };
beforeAll(async () => {
  workers.server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  await new Promise<void>((resolve) => workers.server!.listen(0, "127.0.0.1", resolve));
  workers.url = `http://127.0.0.1:${(workers.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => workers.server?.close(() => resolve()));
});
