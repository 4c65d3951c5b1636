import type { EventType } from "@tickflow/core";
import { decodeEvent, type DecodedEvent } from "./codec";
import type { Bus } from "./port";
import type { BusRecord } from "./records";
import type { TopicId } from "./topics";

/** One partition of a group's lag on a topic. */
export interface PartitionLag {
  partition: number;
  /** The group's committed offset, "-1" where it never committed. */
  committed: string;
  /** The partition's oldest retained offset and its end (the offset the next record gets). */
  low: string;
  high: string;
  /** Records between the two; a partition never committed counts from its oldest retained record. */
  lag: bigint;
}

/** How far a consumer group is behind on each partition of a topic. */
export async function consumerLag(bus: Bus, groupId: string, topic: TopicId): Promise<PartitionLag[]> {
  const [ends, committed] = await Promise.all([bus.offsets(topic), bus.groupOffsets(groupId, topic)]);
  return ends.map((end) => {
    const at = committed.find((c) => c.partition === end.partition)?.offset ?? "-1";
    return {
      partition: end.partition,
      committed: at,
      low: end.low,
      high: end.high,
      lag: at === "-1" ? BigInt(end.high) - BigInt(end.low) : BigInt(end.high) - BigInt(at),
    };
  });
}

/**
 * Up to `perPartition` of the latest committed records of each partition, decoded, oldest first
 * per partition, with the record each came from. A record that does not decode as one of `accept`
 * is skipped: it is its consumer's to dead-letter, not a reader's to judge.
 */
export async function readEvents(
  bus: Bus,
  topic: TopicId,
  perPartition: number,
  accept: readonly EventType[],
): Promise<{ record: BusRecord; event: DecodedEvent }[]> {
  const out: { record: BusRecord; event: DecodedEvent }[] = [];
  for (const record of await bus.readTail(topic, perPartition)) {
    try {
      out.push({ record, event: decodeEvent(record.value, accept) });
    } catch {
      // not ours (see above)
    }
  }
  return out;
}
