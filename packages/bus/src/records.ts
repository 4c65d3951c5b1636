import type { TopicId } from "./topics";

/** A record read from the bus. */
export interface BusRecord {
  topic: TopicId;
  partition: number;
  /** Kafka offsets are 64-bit: kept as decimal strings. */
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: number;
}

/** A record to write; the bus maps the topic id to its name. */
export interface OutgoingRecord {
  topic: TopicId;
  key: string | null;
  /** null is a tombstone (the delete marker of a compacted topic). */
  value: Buffer | null;
  headers?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: string;
  /** Offset the next record will get (the high watermark). */
  high: string;
}

/** The DLQ headers (DESIGN.md): why the record failed and where it came from. */
export const DLQ_HEADERS = {
  error: "x-error",
  reason: "x-error-reason",
  sourceTopic: "x-source-topic",
  sourcePartition: "x-source-partition",
  sourceOffset: "x-source-offset",
  /** The consumer group that dead-lettered it: a topic can have several readers, each refusing on its own. */
  consumerGroup: "x-consumer-group",
  /** Present when the dead letter's value or key was cut to fit the broker's size limit. */
  originalSize: "x-original-size",
} as const;

/**
 * Most bytes of an original value a dead letter carries: a record near the broker's size limit
 * plus the DLQ's headers would be refused (MESSAGE_TOO_LARGE) and the consumer would crash-loop
 * on it. A longer value is cut to this, and `x-original-size` says how long it was.
 */
export const DLQ_MAX_VALUE_BYTES = 256 * 1024;
/** Keys are cut the same way (they count towards the same limit). */
export const DLQ_MAX_KEY_CHARS = 1_024;

/** The original bytes, keyed as before, with headers saying why and from where. */
export function toDlq(
  record: BusRecord,
  sourceTopicName: string,
  reason: string,
  message: string,
  consumerGroup: string,
): OutgoingRecord {
  const value = record.value ?? Buffer.alloc(0);
  const cut = value.length > DLQ_MAX_VALUE_BYTES || (record.key?.length ?? 0) > DLQ_MAX_KEY_CHARS;
  // the original's own headers come along, but only as many as cannot push the record past the limit
  const inherited = Object.entries(record.headers)
    .filter(([k, v]) => k.length + v.length <= 1_024)
    .slice(0, 32);
  return {
    topic: "dlq",
    key: record.key === null ? null : record.key.slice(0, DLQ_MAX_KEY_CHARS),
    value: value.subarray(0, DLQ_MAX_VALUE_BYTES),
    headers: {
      ...Object.fromEntries(inherited),
      ...(cut
        ? { [DLQ_HEADERS.originalSize]: `value ${value.length} bytes, key ${record.key?.length ?? 0} characters` }
        : {}),
      [DLQ_HEADERS.error]: message.slice(0, 1_000),
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.sourceTopic]: sourceTopicName,
      [DLQ_HEADERS.sourcePartition]: String(record.partition),
      [DLQ_HEADERS.sourceOffset]: record.offset,
      [DLQ_HEADERS.consumerGroup]: consumerGroup,
    },
  };
}

/**
 * Most bytes of records sent in one produce request. kafkajs puts every record of a partition in
 * one record batch, and a batch above the broker's max.message.bytes (1 MiB by default) is refused
 * as MESSAGE_TOO_LARGE; a fetch of thousands of bad records dead-lettered at once made such a
 * batch, and the worker crash-looped on it. Half the default leaves room for batch overhead.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

function recordBytes(r: OutgoingRecord): number {
  let n = (r.value?.length ?? 0) + (r.key?.length ?? 0) + 64;
  for (const [k, v] of Object.entries(r.headers ?? {})) n += k.length + v.length;
  return n;
}

/** Consecutive runs of records of at most MAX_REQUEST_BYTES each (a larger record goes alone). */
export function chunkBySize(records: OutgoingRecord[]): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let current: OutgoingRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (current.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
