import { decodeEvent, KafkaBus, type DecodedEvent, type TopicId } from "@tickflow/bus";

/** A KAFKA_TOPIC_PREFIX of its own for a test run, so runs on one broker never see each other's records. */
export function uniquePrefix(name: string): string {
  return `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
}

/** Every committed event on a topic, decoded (read_committed, all partitions). */
export async function topicEvents(brokers: string, prefix: string, topic: TopicId): Promise<DecodedEvent[]> {
  const bus = new KafkaBus({ clientId: "test-reader", brokers: brokers.split(",") }, prefix);
  try {
    return (await bus.readTail(topic, 10_000_000)).map((r) => decodeEvent(r.value));
  } finally {
    await bus.close();
  }
}
