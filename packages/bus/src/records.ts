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
  value: Buffer;
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
} as const;

/** The original bytes, keyed as before, with headers saying why and from where. */
export function toDlq(record: BusRecord, sourceTopicName: string, reason: string, message: string): OutgoingRecord {
  return {
    topic: "dlq",
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      ...record.headers,
      [DLQ_HEADERS.error]: message.slice(0, 1_000),
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.sourceTopic]: sourceTopicName,
      [DLQ_HEADERS.sourcePartition]: String(record.partition),
      [DLQ_HEADERS.sourceOffset]: record.offset,
    },
  };
}
