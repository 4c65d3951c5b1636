import { createServer, type Server } from "node:net";
import { MemoryBus, TOPIC_IDS, TOPICS, type ClusterDescription } from "@tickflow/bus";
import { afterEach, describe, expect, it } from "vitest";
import {
  brokersCheck,
  collectKafka,
  evaluateKafka,
  KAFKA_DEFAULTS,
  probeBrokers,
  type KafkaFacts,
} from "../src/doctor/kafka";
import { freePort, tickRecord } from "@tickflow/test-support";

/** A one-broker cluster holding every registry topic exactly as the registry says. */
function asRegistry(): ClusterDescription {
  return {
    clusterId: "q1Sh-9_ISia_zwGINzRvyQ",
    controller: 1,
    brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092 }],
    topics: TOPIC_IDS.map((id) => ({
      id,
      name: TOPICS[id].name,
      exists: true,
      partitions: Array.from({ length: TOPICS[id].partitions }, (_, partition) => ({
        partition,
        leader: 1,
        replicas: [1],
        isr: [1],
      })),
      config: { ...TOPICS[id].config },
    })),
  };
}

function facts(change: (f: KafkaFacts) => void = () => {}): KafkaFacts {
  const f: KafkaFacts = {
    cluster: asRegistry(),
    groups: [
      {
        groupId: "tickflow-strategy",
        topics: [
          {
            topic: "md.quotes.v1",
            partitions: [0, 1].map((partition) => ({ partition, committed: "500", low: "0", high: "500", lag: 0 })),
          },
        ],
      },
    ],
    dlq: [{ partition: 0, low: "0", high: "0" }],
  };
  change(f);
  return f;
}

const check = (f: KafkaFacts, name: string) => evaluateKafka(f, KAFKA_DEFAULTS).find((c) => c.name === name)!;
const topic = (f: KafkaFacts, id: string) => f.cluster.topics.find((t) => t.id === id)!;

describe("doctor kafka grading", () => {
  it("is all OK for a cluster as the registry says, a group caught up and an empty DLQ", () => {
    const checks = evaluateKafka(facts(), KAFKA_DEFAULTS);
    expect(checks.filter((c) => c.status !== "OK")).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      "cluster",
      ...TOPIC_IDS.map((id) => `topic ${TOPICS[id].name}`),
      "group tickflow-strategy",
      "dlq dlq.v1",
    ]);
    expect(check(facts(), "cluster").summary).toBe("q1Sh-9_ISia_zwGINzRvyQ: 1 broker (1@127.0.0.1:9092), controller 1");
    expect(check(facts(), "topic md.quotes.v1").summary).toBe(
      "6 partitions, 1 replica each, in sync; config as in the registry",
    );
    expect(check(facts(), "group tickflow-strategy").summary).toBe("md.quotes.v1 lag 0");
  });

  it("is CRIT for a missing topic, a partition without leader or another cleanup.policy", () => {
    const missing = facts((f) => Object.assign(topic(f, "risk"), { exists: false, partitions: [], config: {} }));
    expect(check(missing, "topic strategy.risk.v1")).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("missing: the workers create it at start"),
    });
    const offline = facts((f) => (topic(f, "quotes").partitions[3]!.leader = -1));
    expect(check(offline, "topic md.quotes.v1")).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("partitions without a leader: 3"),
    });
    // the engine's snapshots must be compacted, never deleted by age
    const deleted = facts((f) => (topic(f, "state").config["cleanup.policy"] = "delete"));
    expect(check(deleted, "topic strategy.state.v1")).toMatchObject({
      status: "CRIT",
      summary: "cleanup.policy=delete, the registry says compact",
    });
  });

  it("is WARN for other config values, partition counts and under-replicated partitions", () => {
    const drifted = facts((f) => {
      topic(f, "quotes").config["retention.ms"] = "3600000";
      topic(f, "bars").partitions.pop();
      topic(f, "orders").partitions[0] = { partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1] };
    });
    expect(check(drifted, "topic md.quotes.v1")).toMatchObject({
      status: "WARN",
      summary: "retention.ms=3600000, the registry says 86400000",
    });
    expect(check(drifted, "topic md.bars.v1")).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("5 partitions, the registry says 6"),
    });
    expect(check(drifted, "topic strategy.orders.v1")).toMatchObject({
      status: "WARN",
      summary: "under-replicated partitions: 0",
    });
  });

  it("grades a group's lag over a topic's partitions, naming the partitions behind", () => {
    const lagging = (lags: number[]) =>
      facts((f) => {
        f.groups[0]!.topics[0]!.partitions = lags.map((lag, partition) => ({
          partition,
          committed: String(1_000 - lag),
          low: "0",
          high: "1000",
          lag,
        }));
      });
    expect(check(lagging([6_000, 4_000]), "group tickflow-strategy")).toMatchObject({
      status: "WARN",
      summary: expect.stringMatching(/^md\.quotes\.v1 lag 10000 \(p0 6000, p1 4000\); the consumer falls behind/),
    });
    expect(check(lagging([99_999, 0]), "group tickflow-strategy")).toMatchObject({ status: "WARN" });
    expect(check(lagging([100_000, 0]), "group tickflow-strategy")).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("lag 100000 (p0 100000)"),
    });
  });

  it("is WARN for a group without committed offsets", () => {
    expect(
      check(
        facts((f) => (f.groups[0]!.topics = [])),
        "group tickflow-strategy",
      ),
    ).toMatchObject({ status: "WARN", summary: expect.stringContaining("has committed no offsets") });
  });

  it("grades the DLQ's depth, and leaves it out when the topic is missing", () => {
    const depth = (high: string) => facts((f) => (f.dlq = [{ partition: 0, low: "10", high }]));
    expect(check(depth("10"), "dlq dlq.v1")).toMatchObject({ status: "OK", summary: "empty" });
    expect(check(depth("12"), "dlq dlq.v1")).toMatchObject({
      status: "WARN",
      summary: expect.stringMatching(/^2 offsets retained .*kcat -C -t dlq\.v1/),
    });
    expect(check(depth("1010"), "dlq dlq.v1")).toMatchObject({ status: "CRIT" });
    const gone = facts((f) => {
      Object.assign(topic(f, "dlq"), { exists: false, partitions: [], config: {} });
      f.dlq = null;
    });
    expect(evaluateKafka(gone, KAFKA_DEFAULTS).map((c) => c.name)).not.toContain("dlq dlq.v1");
  });
});

describe("collectKafka on the in-memory bus", () => {
  const tick = tickRecord;

  it("reports the registry topics, a group's lag once it falls behind, and a group that never ran", async () => {
    const bus = new MemoryBus("p-");
    const publisher = await bus.publisher();
    await publisher.publish([1, 2, 3].map((seq) => tick("AAPL", seq)));
    let seen = 0;
    const subscription = await bus.subscribe({
      groupId: "g",
      topics: ["quotes"],
      fromBeginning: true,
      onBatch: async (records) => void (seen += records.length),
    });
    while (seen < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await subscription.stop();
    await publisher.publish([4, 5].map((seq) => tick("AAPL", seq)));

    const collected = await collectKafka(bus, ["g", "never-ran"]);
    const checks = evaluateKafka(collected, { ...KAFKA_DEFAULTS, lag: { warn: 2, crit: 10 } });
    expect(collected.cluster.topics.map((t) => t.name)).toContain("p-md.quotes.v1");
    expect(checks.filter((c) => c.name.startsWith("topic ")).every((c) => c.status === "OK")).toBe(true);
    expect(checks.find((c) => c.name === "group g")).toMatchObject({
      status: "WARN",
      summary: expect.stringMatching(/^p-md\.quotes\.v1 lag 2 \(p\d 2\)/),
    });
    expect(checks.find((c) => c.name === "group never-ran")).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("has committed no offsets"),
    });
    expect(checks.find((c) => c.name === "dlq p-dlq.v1")).toMatchObject({ status: "OK", summary: "empty" });
    await bus.close();
  });
});

describe("probeBrokers", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  });

  it("is CRIT when no bootstrap broker answers, WARN when one of several does not, saying why for each", async () => {
    const refused = `127.0.0.1:${await freePort()}`;
    // something listens, but it is not Kafka: it never answers the ApiVersions request
    const silent = createServer((socket) => socket.on("data", () => {}));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const notKafka = `127.0.0.1:${(silent.address() as { port: number }).port}`;

    const probes = await probeBrokers([refused, notKafka], false, 500);
    expect(probes).toEqual([
      { broker: refused, ok: false, detail: `connect ECONNREFUSED ${refused}` },
      { broker: notKafka, ok: false, detail: "accepts TCP but does not answer as a Kafka broker" },
    ]);
    expect(brokersCheck(probes)).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("start one (npx tickflow kafka start) or pass --brokers"),
    });
    expect(
      brokersCheck([...probes, { broker: "127.0.0.1:9092", ok: true, detail: "answers ApiVersions" }]),
    ).toMatchObject({ status: "WARN" });
    // a TLS listener is only dialled: the handshake is kafkajs's
    expect(await probeBrokers([notKafka], true, 500)).toEqual([
      { broker: notKafka, ok: true, detail: "accepts TCP (TLS listener)" },
    ]);
  });
});
