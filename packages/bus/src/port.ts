import type { BusRecord, OutgoingRecord, PartitionOffsets } from "./records";
import type { TopicId } from "./topics";

/** Idempotent publishing (acks=all): a retried send never duplicates a record. */
export interface Publisher {
  publish(records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a subscriber gets with each batch (the records of one topic partition, in offset order):
 * kafkajs's eachBatch controls, the same on every bus. A batch that does slow work per record
 * heartbeats between steps, resolves what it has done, commits what must never be done twice,
 * and returns early when its time is up or it is told to stop; what it did not resolve is
 * delivered again on the next fetch.
 */
export interface BatchControl {
  /** Tells the group coordinator this member is alive; cheap, call it between slow steps. */
  heartbeat(): Promise<void>;
  /** The records up to and including `offset` (one of this batch's) are done. */
  resolveOffset(offset: string): void;
  /** Commits the resolved offsets now, instead of when the batch returns. */
  commit(): Promise<void>;
  /** False once the subscription is stopping or the partition may have moved to another member: return now. */
  isRunning(): boolean;
  /** What is left of this batch's time budget (SubscribeOptions.batchBudgetMs), in ms; at 0, return. */
  timeLeftMs(): number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: TopicId[];
  /** Where a group without committed offsets starts. */
  fromBeginning?: boolean;
  /**
   * true (the default): a batch is done when onBatch resolves, and all of it is committed.
   * false: only the offsets onBatch resolved are committed (when it returns, or at `commit()`);
   * the records after them come back on the next fetch.
   */
  autoResolve?: boolean;
  /**
   * How long one batch may take before `timeLeftMs()` says 0: a batch that keeps to it never
   * keeps the member from a rebalance for long. Default: half the group's session timeout.
   */
  batchBudgetMs?: number;
  /**
   * Resolved offsets are committed after this resolves; a throw stops the subscription
   * (crash-only). Errors from `control.heartbeat()` and `control.commit()` (a rebalance, an
   * eviction) must be let through: the bus rejoins the group and delivers the batch again.
   */
  onBatch(records: BusRecord[], control: BatchControl): Promise<void>;
}

export interface Subscription {
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves on stop(), rejects on a fatal error. */
  readonly done: Promise<void>;
}

export interface ProcessorOptions<S> {
  groupId: string;
  /** The topics it reads, in one group and one transaction: each batch is one topic partition's records. */
  inputs: readonly TopicId[];
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
