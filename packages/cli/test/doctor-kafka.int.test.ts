import { KafkaBus, TOPIC_IDS, TOPICS, type Subscription } from "@tickflow/bus";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { tickRecord, until } from "@tickflow/test-support";
import { tickflow } from "./run-tickflow";

const brokers = inject("kafkaBrokers");
/** Topic names and group ids unique to this run: the broker may be shared. */
const run = `doctor-${Date.now().toString(36)}`;

interface Report {
  status: string;
  checks: { name: string; status: string; summary: string }[];
}

async function doctorKafka(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const { code, stdout, stderr } = await tickflow(["doctor", "kafka", "--brokers", brokers, "--json", ...args]);
  if (!stdout) throw new Error(`tickflow doctor kafka exited ${code} without a report: ${stderr}`);
  return { code, report: JSON.parse(stdout) as Report, stderr };
}

const named = (report: Report, name: string) => report.checks.find((c) => c.name === name);

const tick = tickRecord;

describe("tickflow doctor kafka on a real broker", () => {
  const prefix = `${run}-`;
  const group = `${run}-strategy`;
  const bus = new KafkaBus({ clientId: "doctor-test", brokers: brokers.split(",") }, prefix);
  const open: (Subscription | KafkaBus)[] = [bus];

  afterAll(async () => {
    for (const o of open.reverse()) await ("stop" in o ? o.stop() : o.close()).catch(() => {});
  });

  it("is OK for the topics as the workers create them, a group that has read everything and an empty DLQ", async () => {
    await bus.ensureTopics();
    const publisher = await bus.publisher();
    await publisher.publish([1, 2, 3, 4].flatMap((seq) => [tick("AAPL", seq), tick("BTC-USD", seq)]));
    await publisher.close();
    const subscription = await bus.subscribe({
      groupId: group,
      topics: ["quotes"],
      fromBeginning: true,
      onBatch: async () => {},
    });
    open.push(subscription);
    await until(
      "the group to commit every partition's end",
      async () => {
        const [ends, committed] = await Promise.all([bus.offsets("quotes"), bus.groupOffsets(group, "quotes")]);
        for (const end of ends.filter((e) => e.high !== "0"))
          expect(committed.find((c) => c.partition === end.partition)?.offset).toBe(end.high);
      },
      60_000,
    );
    await subscription.stop();

    const { code, report, stderr } = await doctorKafka(["--topic-prefix", prefix, "--group", group]);
    expect(
      report.checks.filter((c) => c.status !== "OK"),
      stderr,
    ).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual([
      "brokers",
      "cluster",
      ...TOPIC_IDS.map((id) => `topic ${prefix}${TOPICS[id].name}`),
      `group ${group}`,
      `dlq ${prefix}dlq.v1`,
    ]);
    // the configs were read back from the broker, not assumed
    expect(named(report, `topic ${prefix}strategy.state.v1`)!.summary).toBe(
      "1 partitions, 1 replica each, in sync; config as in the registry",
    );
    expect(named(report, `group ${group}`)!.summary).toBe(`${prefix}md.quotes.v1 lag 0`);
  });

  it("is WARN, then CRIT, as the group falls behind and the DLQ fills", async () => {
    const publisher = await bus.publisher();
    await publisher.publish([5, 6, 7, 8, 9].map((seq) => tick("AAPL", seq)));
    await publisher.publish([{ topic: "dlq", key: "AAPL", value: Buffer.from("not json") }]);
    await publisher.close();

    const warn = await doctorKafka(["--topic-prefix", prefix, "--group", group, "--lag-warn", "5", "--lag-crit", "50"]);
    expect(warn.code).toBe(1);
    expect(named(warn.report, `group ${group}`)).toMatchObject({
      status: "WARN",
      summary: expect.stringMatching(new RegExp(`^${prefix}md\\.quotes\\.v1 lag 5 \\(p\\d 5\\)`)),
    });
    expect(named(warn.report, `dlq ${prefix}dlq.v1`)).toMatchObject({
      status: "WARN",
      summary: expect.stringMatching(/^1 offsets retained/),
    });

    const crit = await doctorKafka([
      "--topic-prefix",
      prefix,
      "--group",
      group,
      "--lag-warn",
      "2",
      "--lag-crit",
      "5",
      "--dlq-crit",
      "1",
    ]);
    expect(crit.code).toBe(2);
    expect([named(crit.report, `group ${group}`)!.status, named(crit.report, `dlq ${prefix}dlq.v1`)!.status]).toEqual([
      "CRIT",
      "CRIT",
    ]);
  });

  it("is CRIT for missing topics and a compacted topic set to delete, WARN for a drifted retention, and names a group that never ran", async () => {
    const other = `${run}-drift-`;
    const admin = new Kafka({
      clientId: "doctor-test-admin",
      brokers: brokers.split(","),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: `${other}md.quotes.v1`,
            numPartitions: 6,
            configEntries: [
              { name: "cleanup.policy", value: "delete" },
              { name: "retention.ms", value: "3600000" },
            ],
          },
          {
            topic: `${other}strategy.state.v1`,
            numPartitions: 1,
            configEntries: [{ name: "cleanup.policy", value: "delete" }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }

    const { code, report } = await doctorKafka(["--topic-prefix", other, "--group", `${run}-never`]);
    expect(code).toBe(2);
    expect(named(report, `topic ${other}md.quotes.v1`)).toMatchObject({
      status: "WARN",
      summary: "retention.ms=3600000, the registry says 86400000",
    });
    expect(named(report, `topic ${other}strategy.state.v1`)).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("cleanup.policy=delete, the registry says compact"),
    });
    expect(named(report, `topic ${other}md.bars.v1`)).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("missing"),
    });
    expect(named(report, `group ${run}-never`)).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("has committed no offsets"),
    });
    // without its topic there is no DLQ to measure; the missing topic already says so
    expect(named(report, `dlq ${other}dlq.v1`)).toBeUndefined();
  });
});
