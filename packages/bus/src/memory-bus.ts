import { TickflowError } from "@tickflow/core";
import type { Bus, ClusterDescription, Processor, ProcessorOptions, Publisher, SubscribeOptions, Subscription } from "./port";
import type { BusRecord, OutgoingRecord, PartitionOffsets } from "./records";
import { TOPIC_IDS, TOPICS, topicName, type TopicId } from "./topics";

const MAX_BATCH = 1_000;

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
  readonly kind = "memory" as const;
  readonly description = "in-memory (nothing is persisted)";
  private readonly logs = new Map<TopicId, BusRecord[][]>(TOPIC_IDS.map((id) => [id, Array.from({ length: TOPICS[id].partitions }, () => [])]));
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
      const record: BusRecord = { topic: r.topic, partition, offset: String(log.length), key: r.key, value: r.value, headers: { ...r.headers }, timestamp: Date.now() };
      log.push(record);
      return record;
    });
    if (written.length > 0) this.notify();
    return written;
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
  private consume(groupId: string, topics: TopicId[], fromBeginning: boolean, onBatch: (records: BusRecord[], commit: (offset: number) => void) => Promise<void>): Subscription {
    const group = this.committed(groupId);
    let running = true;
    let stopped!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stopped = resolve));
    for (const topic of topics) {
      this.logs.get(topic)!.forEach((log, partition) => {
        const k = `${topic}:${partition}`;
        if (!group.has(k)) group.set(k, { offset: fromBeginning ? 0 : log.length, metadata: null });
      });
    }
    const loop = async () => {
      while (running && !this.closed) {
        let delivered = false;
        for (const topic of topics) {
          const partitions = this.logs.get(topic)!;
          for (let partition = 0; partition < partitions.length && running; partition++) {
            const k = `${topic}:${partition}`;
            const from = group.get(k)!.offset;
            const batch = partitions[partition]!.slice(from, from + MAX_BATCH);
            if (batch.length === 0) continue;
            delivered = true;
            await onBatch(batch, (offset) => group.set(k, { offset, metadata: group.get(k)!.metadata }));
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
    return this.consume(options.groupId, options.topics, options.fromBeginning ?? false, async (records, commit) => {
      await options.onBatch(records);
      commit(Number(records[records.length - 1]!.offset) + 1);
    });
  }

  async runProcessor<S>(options: ProcessorOptions<S>): Promise<Processor> {
    const epoch = (this.epochs.get(options.transactionalId) ?? 0) + 1;
    this.epochs.set(options.transactionalId, epoch);
    const group = this.committed(options.groupId);
    let pointer: { partition: number; offset: number } | null = null;
    for (const [k, c] of group) {
      if (!k.startsWith(`${options.input}:`) || !c.metadata) continue;
      const p = JSON.parse(c.metadata) as { statePartition: number; stateOffset: string };
      if (!pointer || Number(p.stateOffset) > pointer.offset) pointer = { partition: p.statePartition, offset: Number(p.stateOffset) };
    }
    const snapshot = pointer ? this.logs.get("state")![pointer.partition]![pointer.offset] : undefined;
    options.restore(snapshot?.value ? (JSON.parse(snapshot.value.toString("utf8")) as S) : null);

    return this.consume(options.groupId, [options.input], true, async (records, _commit) => {
      if (this.epochs.get(options.transactionalId) !== epoch) throw new FencedError(`processor ${options.transactionalId} was fenced by a newer instance`);
      const { outputs } = options.process(records);
      // one synchronous step: outputs, the snapshot and the offset become visible together
      const [written] = this.append([...outputs, { topic: "state", key: options.stateKey, value: Buffer.from(JSON.stringify(options.snapshot())) }]).slice(-1);
      const last = records[records.length - 1]!;
      group.set(`${options.input}:${last.partition}`, {
        offset: Number(last.offset) + 1,
        metadata: JSON.stringify({ statePartition: written!.partition, stateOffset: written!.offset }),
      });
      options.onCommitted?.({ records, outputs });
    });
  }

  async readTail(topic: TopicId, perPartition: number): Promise<BusRecord[]> {
    return this.logs.get(topic)!.flatMap((log) => log.slice(Math.max(0, log.length - perPartition)));
  }

  async offsets(topic: TopicId): Promise<PartitionOffsets[]> {
    return this.logs.get(topic)!.map((log, partition) => ({ partition, low: "0", high: String(log.length) }));
  }

  async groupOffsets(groupId: string, topic: TopicId): Promise<{ partition: number; offset: string }[]> {
    const group = this.groups.get(groupId);
    return this.logs.get(topic)!.map((_, partition) => ({ partition, offset: String(group?.get(`${topic}:${partition}`)?.offset ?? -1) }));
  }

  /** One pseudo-broker (this process) leads every partition; the registry's configs stand as given, retention unenforced. */
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
