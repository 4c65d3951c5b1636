import { randomUUID } from "node:crypto";
import {
  Consumer as PlatformaticConsumer,
  MessagesStreamModes,
  Producer as PlatformaticProducer,
} from "@platformatic/kafka";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { median, seconds } from "./stats";

export interface ClientFigures {
  client: string;
  produceRecordsPerSecond: number;
  consumeRecordsPerSecond: number;
}

const CHUNK = 1_000;
const PARTITIONS = 6;

function records(count: number, value: Buffer): { key: string; value: Buffer }[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i % 7}`, value }));
}

async function withTopic<T>(brokers: string[], body: (topic: string) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: "bench-admin", brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topic = `bench-clients-${randomUUID()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  try {
    return await body(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

async function kafkajsRun(brokers: string[], count: number, value: Buffer): Promise<[number, number]> {
  return withTopic(brokers, async (topic) => {
    const kafka = new Kafka({ clientId: "bench-kafkajs", brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const all = records(count, value);
    let t = process.hrtime.bigint();
    for (let i = 0; i < count; i += CHUNK)
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: all.slice(i, i + CHUNK) }] });
    const produce = count / seconds(t);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    t = process.hrtime.bigint();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= count) done();
      },
    });
    await finished;
    const consume = count / seconds(t);
    await consumer.disconnect();
    return [produce, consume];
  });
}

async function platformaticRun(brokers: string[], count: number, value: Buffer): Promise<[number, number]> {
  return withTopic(brokers, async (topic) => {
    const producer = new PlatformaticProducer({
      clientId: "bench-platformatic",
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: -1,
    });
    const all = records(count, value).map((r) => ({ topic, key: Buffer.from(r.key), value: r.value }));
    let t = process.hrtime.bigint();
    for (let i = 0; i < count; i += CHUNK) await producer.send({ messages: all.slice(i, i + CHUNK) });
    const produce = count / seconds(t);
    await producer.close();

    const consumer = new PlatformaticConsumer({
      groupId: `bench-${randomUUID()}`,
      clientId: "bench-platformatic",
      bootstrapBrokers: brokers,
      maxWaitTime: 100,
    });
    t = process.hrtime.bigint();
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    let seen = 0;
    for await (const _message of stream) {
      seen += 1;
      if (seen >= count) break;
    }
    const consume = count / seconds(t);
    await stream.close();
    await consumer.close(true);
    return [produce, consume];
  });
}

/** kafkajs against @platformatic/kafka: idempotent acks=all produce in batches of 1,000, then a group consume from the start. */
export async function benchClients(
  brokers: string[],
  count: number,
  recordBytes: number,
  runs: number,
): Promise<ClientFigures[]> {
  const value = Buffer.alloc(recordBytes, "x");
  const figures: ClientFigures[] = [];
  for (const [client, run] of [
    ["kafkajs 2.2.4", kafkajsRun],
    ["@platformatic/kafka", platformaticRun],
  ] as const) {
    const produce: number[] = [];
    const consume: number[] = [];
    await run(brokers, Math.min(count, 10_000), value); // warm-up
    for (let i = 0; i < runs; i++) {
      const [p, c] = await run(brokers, count, value);
      produce.push(p);
      consume.push(c);
    }
    figures.push({ client, produceRecordsPerSecond: median(produce), consumeRecordsPerSecond: median(consume) });
  }
  return figures;
}
