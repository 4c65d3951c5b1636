import { TickflowError } from "@tickflow/core";
import type {
  BatchControl,
  Bus,
  ClusterDescription,
  Processor,
  ProcessorOptions,
  Publisher,
  SubscribeOptions,
  Subscription,
} from "./port";
import type { BusRecord, OutgoingRecord, PartitionOffsets } from "./records";
import { TOPIC_IDS, TOPICS, topicName, type TopicId } from "./topics";

const MAX_BATCH = 1_000;
/**
 * Records a partition of a deleting topic keeps: a size-bounded retention, as the broker's is
 * time-bounded, so a long `npm start` on this bus does not grow without end.
 */
export const MEMORY_RETENTION_RECORDS = 20_000;
/** A subscriber's batch budget when it sets none: what the Kafka bus gives with its default session timeout. */
const MEMORY_BATCH_BUDGET_MS = 5_000;

/** A partition's log: offsets start at `base`, below which records have been deleted. */
interface PartitionLog {
  base: number;
  records: BusRecord[];
  /** Compacted topics: where each key's latest record is. */
  latest: Map<string, number>;
}

/** Kafka's ProducerFencedException, in memory: a newer processor took over the transactional id. */
export class FencedError extends TickflowError {}

interface Committed {
  offset: number;
  metadata: string | null;
}

/** Java-compatible enough for spreading keys: the same key always lands on the same partition. */
function partitionFor(key: string | null, partitions: number, roundRobin: number): number {
  if (key === null) return roundRobin % partitions;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % partitions;
}

/**
 * The bus in one process: the same port and the same guarantees where they matter (per-key
 * order, atomic commit of outputs + state + offsets, fencing of a superseded processor), for
 * `npm start` without Java and for fast worker tests. Nothing survives the process.
 */
export class MemoryBus implements Bus {
  readonly description = "in-memory (nothing is persisted)";
  private readonly logs = new Map<TopicId, PartitionLog[]>(
    TOPIC_IDS.map((id) => [
      id,
      Array.from({ length: TOPICS[id].partitions }, () => ({ base: 0, records: [], latest: new Map() })),
    ]),
  );
  private readonly groups = new Map<string, Map<string, Committed>>();
  private readonly epochs = new Map<string, number>();
  private roundRobin = 0;
  private wake!: () => void;
  private changed = this.nextChange();
  private closed = false;

  constructor(private readonly prefix = "") {}

  topicName(id: TopicId): string {
    return topicName(id, this.prefix);
  }

  async ensureTopics(): Promise<void> {}

  private nextChange(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.changed = this.nextChange();
    wake();
  }

  private append(records: OutgoingRecord[]): BusRecord[] {
    const written = records.map((r) => {
      const partitions = this.logs.get(r.topic)!;
      const partition = partitionFor(r.key, partitions.length, this.roundRobin++);
      const log = partitions[partition]!;
      const offset = log.base + log.records.length;
      const record: BusRecord = {
        topic: r.topic,
        partition,
        offset: String(offset),
        key: r.key,
        value: r.value,
        headers: { ...r.headers },
        timestamp: Date.now(),
      };
      log.records.push(record);
      if (TOPICS[r.topic].config["cleanup.policy"] === "compact") this.compact(log, record, offset);
      else if (log.records.length > MEMORY_RETENTION_RECORDS) {
        const drop = log.records.length - MEMORY_RETENTION_RECORDS;
        log.records.splice(0, drop);
        log.base += drop;
      }
      return record;
    });
    if (written.length > 0) this.notify();
    return written;
  }

  /** Compaction as the broker does it, at once: a key's earlier record loses its value, and leading emptied records go. */
  private compact(log: PartitionLog, record: BusRecord, offset: number): void {
    if (record.key === null) return;
    const previous = log.latest.get(record.key);
    log.latest.set(record.key, offset);
    if (previous === undefined) return;
    const index = previous - log.base;
    log.records[index] = { ...log.records[index]!, value: null };
    let drop = 0;
    while (drop < log.records.length && log.records[drop]!.value === null) drop += 1;
    log.records.splice(0, drop);
    log.base += drop;
  }

  /** The records from `offset` on (at most `limit`), starting at the oldest kept one if `offset` was deleted. */
  private read(log: PartitionLog, offset: number, limit: number): BusRecord[] {
    const from = Math.max(0, offset - log.base);
    return log.records.slice(from, from + limit);
  }

  async publisher(): Promise<Publisher> {
    return { publish: async (records) => void this.append(records), close: async () => {} };
  }

  private committed(groupId: string): Map<string, Committed> {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new Map()));
    return group;
  }

  /** Delivers batches per partition from the group's committed offsets until stopped. */
  private consume(
    groupId: string,
    topics: TopicId[],
    fromBeginning: boolean,
    onBatch: (records: BusRecord[], commit: (offset: number) => void, isRunning: () => boolean) => Promise<void>,
  ): Subscription {
    const group = this.committed(groupId);
    let running = true;
    let stopped!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stopped = resolve));
    for (const topic of topics) {
      this.logs.get(topic)!.forEach((log, partition) => {
        const k = `${topic}:${partition}`;
        if (!group.has(k))
          group.set(k, { offset: fromBeginning ? log.base : log.base + log.records.length, metadata: null });
      });
    }
    const loop = async () => {
      while (running && !this.closed) {
        let delivered = false;
        for (const topic of topics) {
          const partitions = this.logs.get(topic)!;
          for (let partition = 0; partition < partitions.length && running; partition++) {
            const k = `${topic}:${partition}`;
            const batch = this.read(partitions[partition]!, group.get(k)!.offset, MAX_BATCH);
            if (batch.length === 0) continue;
            delivered = true;
            await onBatch(
              batch,
              (offset) => group.set(k, { offset, metadata: group.get(k)!.metadata }),
              () => running && !this.closed,
            );
          }
        }
        if (!delivered) await Promise.race([this.changed, stopSignal]);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const done = loop();
    return {
      done,
      stop: async () => {
        running = false;
        stopped();
        await done.catch(() => {});
      },
    };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const autoResolve = options.autoResolve ?? true;
    const budgetMs = options.batchBudgetMs ?? MEMORY_BATCH_BUDGET_MS;
    return this.consume(
      options.groupId,
      options.topics,
      options.fromBeginning ?? false,
      async (records, commit, isRunning) => {
        const first = Number(records[0]!.offset);
        const last = Number(records[records.length - 1]!.offset);
        const started = Date.now();
        // the next offset to consume, as a commit names it; null until something is resolved
        let resolved: number | null = null;
        const control: BatchControl = {
          heartbeat: async () => {},
          resolveOffset: (offset) => {
            const at = Number(offset);
            if (!(at >= first && at <= last))
              throw new TickflowError(`offset ${offset} is not in this batch (${first} to ${last})`);
            resolved = Math.max(resolved ?? first, at + 1);
          },
          commit: async () => {
            if (resolved !== null) commit(resolved);
          },
          isRunning,
          timeLeftMs: () => Math.max(0, started + budgetMs - Date.now()),
        };
        try {
          await options.onBatch(records, control);
        } catch (error) {
          // as kafkajs does: what was resolved before the failure is committed
          if (resolved !== null) commit(resolved);
          throw error;
        }
        if (autoResolve) resolved = last + 1;
        if (resolved !== null) commit(resolved);
      },
    );
  }

  async runProcessor<S>(options: ProcessorOptions<S>): Promise<Processor> {
    const epoch = (this.epochs.get(options.transactionalId) ?? 0) + 1;
    this.epochs.set(options.transactionalId, epoch);
    const group = this.committed(options.groupId);
    let pointer: { partition: number; offset: number } | null = null;
    for (const [k, c] of group) {
      if (!options.inputs.some((input) => k.startsWith(`${input}:`)) || !c.metadata) continue;
      const p = JSON.parse(c.metadata) as { statePartition: number; stateOffset: string };
      if (!pointer || Number(p.stateOffset) > pointer.offset)
        pointer = { partition: p.statePartition, offset: Number(p.stateOffset) };
    }
    const [snapshot] = pointer ? this.read(this.logs.get("state")![pointer.partition]!, pointer.offset, 1) : [];
    await options.restore(snapshot?.value ? (JSON.parse(snapshot.value.toString("utf8")) as S) : null);

    return this.consume(options.groupId, [...options.inputs], true, async (records, _commit) => {
      if (this.epochs.get(options.transactionalId) !== epoch)
        throw new FencedError(`processor ${options.transactionalId} was fenced by a newer instance`);
      const { outputs } = options.process(records);
      // one synchronous step: outputs, the snapshot and the offset become visible together
      const [written] = this.append([
        ...outputs,
        { topic: "state", key: options.stateKey, value: Buffer.from(JSON.stringify(options.snapshot())) },
      ]).slice(-1);
      const last = records[records.length - 1]!;
      group.set(`${last.topic}:${last.partition}`, {
        offset: Number(last.offset) + 1,
        metadata: JSON.stringify({ statePartition: written!.partition, stateOffset: written!.offset }),
      });
      options.onCommitted?.({ records, outputs });
    });
  }

  async readTail(topic: TopicId, perPartition: number): Promise<BusRecord[]> {
    return this.logs
      .get(topic)!
      .flatMap((log) =>
        log.records.slice(Math.max(0, log.records.length - perPartition)).filter((r) => r.value !== null),
      );
  }

  async offsets(topic: TopicId): Promise<PartitionOffsets[]> {
    return this.logs
      .get(topic)!
      .map((log, partition) => ({ partition, low: String(log.base), high: String(log.base + log.records.length) }));
  }

  async groupOffsets(groupId: string, topic: TopicId): Promise<{ partition: number; offset: string }[]> {
    const group = this.groups.get(groupId);
    return this.logs
      .get(topic)!
      .map((_, partition) => ({ partition, offset: String(group?.get(`${topic}:${partition}`)?.offset ?? -1) }));
  }

  /** One pseudo-broker (this process) leads every partition; the registry's configs stand as given (retention here is by record count). */
  async describeCluster(): Promise<ClusterDescription> {
    return {
      clusterId: "in-memory",
      controller: null,
      brokers: [{ nodeId: 0, host: "in-process", port: 0 }],
      topics: TOPIC_IDS.map((id) => ({
        id,
        name: this.topicName(id),
        exists: true,
        partitions: this.logs.get(id)!.map((_, partition) => ({ partition, leader: 0, replicas: [0], isr: [0] })),
        config: { ...TOPICS[id].config },
      })),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
  }
}
