import type { BusRecord, OutgoingRecord, PartitionOffsets } from "./records";
import type { TopicId } from "./topics";

/** Idempotent publishing (acks=all): a retried send never duplicates a record. */
export interface Publisher {
  publish(records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: TopicId[];
  /** Where a group without committed offsets starts. */
  fromBeginning?: boolean;
  /** Offsets are committed after this resolves; a throw stops the subscription (crash-only). */
  onBatch(records: BusRecord[]): Promise<void>;
}

export interface Subscription {
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves on stop(), rejects on a fatal error. */
  readonly done: Promise<void>;
}

export interface ProcessorOptions<S> {
  groupId: string;
  input: TopicId;
  /** Stable per logical processor: a restarted instance fences the old one with it. */
  transactionalId: string;
  /** Key of this processor's snapshots on the state topic. */
  stateKey: string;
  /**
   * Gets the state committed with the current offsets (null on first start), before any record.
   * It runs after a previous instance has been fenced (its open transaction aborted), so reads
   * of the processor's own outputs here see only what committed.
   */
  restore(state: S | null): void | Promise<void>;
  /** Turns a batch of input records into output records (updating the processor's state). */
  process(records: BusRecord[]): { outputs: OutgoingRecord[] };
  /** The state as of the last processed record: committed with the outputs and the offsets. */
  snapshot(): S;
  /** After a transaction committed: these outputs are now visible to read_committed consumers. */
  onCommitted?(batch: { records: BusRecord[]; outputs: OutgoingRecord[] }): void;
}

/** A consume-transform-produce loop, exactly once: outputs, state and offsets commit together. */
export type Processor = Subscription;

/** A registry topic as the cluster has it (what `tickflow doctor kafka` compares with the registry). */
export interface TopicDescription {
  id: TopicId;
  name: string;
  /** False when the cluster has no such topic; `partitions` and `config` are then empty. */
  exists: boolean;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
  /** The topic's effective value of each config key the registry sets. */
  config: Record<string, string>;
}

export interface ClusterDescription {
  clusterId: string;
  controller: number | null;
  brokers: { nodeId: number; host: string; port: number }[];
  topics: TopicDescription[];
}

export interface Bus {
  readonly kind: "kafka" | "memory";
  /** Human-readable: the brokers, or "in-memory". */
  readonly description: string;
  topicName(id: TopicId): string;
  /** Creates missing registry topics with their partitions and configs; safe to repeat. */
  ensureTopics(): Promise<void>;
  publisher(): Promise<Publisher>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  runProcessor<S>(options: ProcessorOptions<S>): Promise<Processor>;
  /** Up to `perPartition` of the latest committed records of each partition, oldest first. */
  readTail(topic: TopicId, perPartition: number): Promise<BusRecord[]>;
  offsets(topic: TopicId): Promise<PartitionOffsets[]>;
  /** Committed offsets of a group on a topic (-1 where nothing is committed). */
  groupOffsets(groupId: string, topic: TopicId): Promise<{ partition: number; offset: string }[]>;
  /** Read-only: the brokers, and every registry topic's partitions and registry configs as the cluster has them. */
  describeCluster(): Promise<ClusterDescription>;
  close(): Promise<void>;
}

/** What the bus logs through; pino loggers fit. */
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: BusLogger = { debug() {}, info() {}, warn() {}, error() {} };
