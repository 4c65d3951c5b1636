import { randomUUID } from "node:crypto";
import { TickflowError } from "@tickflow/core";
import kafkajs, {
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type IHeaders,
  type KafkaConfig,
  type KafkaMessage,
  type LogEntry,
  type Producer,
  type Transaction,
} from "kafkajs";
import { kafkajsConfig, type KafkaSettings } from "./config";
import type {
  BatchControl,
  Bus,
  BusLogger,
  ClusterDescription,
  Processor,
  ProcessorOptions,
  Publisher,
  SubscribeOptions,
  Subscription,
} from "./port";
import { silentLogger } from "./port";
import { chunkBySize, type BusRecord, type OutgoingRecord, type PartitionOffsets } from "./records";
import { retryRetriable } from "./retry";
import { TOPIC_IDS, TOPICS, topicName, type TopicId } from "./topics";

/** Tuning shared by every consumer: short fetch waits for latency, a session short enough that a crashed member is replaced in seconds. */
export interface KafkaBusTuning {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  transactionTimeoutMs: number;
}

const DEFAULT_TUNING: KafkaBusTuning = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxWaitTimeMs: 100,
  transactionTimeoutMs: 30_000,
};

/**
 * Idempotent producers retry without limit (kafkajs warns that a limit may break exactly-once):
 * a send blocks through a broker outage and resumes with the same sequence numbers, so the
 * broker drops any duplicate. The first retry comes fast because the common retriable error is
 * CONCURRENT_TRANSACTIONS: the previous commit's markers are still being written, a matter of
 * milliseconds (Java's producer waits 20 ms); kafkajs's default 300 ms would add that much to
 * every other transaction. Backoff doubles to a 5 s cap, which covers a broker restart.
 */
const IDEMPOTENT_RETRY = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 5_000 };

/** Pointer stored as the processor's committed-offset metadata: where its state snapshot is. */
interface StatePointer {
  statePartition: number;
  stateOffset: string;
}

export class KafkaBusError extends TickflowError {}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    if (value !== undefined) out[k] = value.toString();
  }
  return out;
}

function toRecord(topic: TopicId, partition: number, m: KafkaMessage): BusRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString() : null,
    value: m.value,
    headers: headersOf(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/**
 * Conditions kafkajs logs as errors although it retries them and they pass on their own: the
 * previous transaction's markers still being written, coordinators loading or moving after a
 * (re)start, leadership changing. Logged at debug, so an error in the log means something.
 */
const ROUTINE_RETRIES = [
  "another concurrent operation on the same transaction",
  "coordinator is loading",
  "group coordinator is not available",
  "not the correct coordinator",
  "no leader for this topic-partition",
  "not the leader for that topic-partition",
  "leadership election",
];

function kafkajsLogger(logger: BusLogger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...rest } = log;
      const entry = { ...rest, component: "kafkajs" };
      const text = `${message} ${String((rest as { error?: unknown }).error ?? "")}`;
      if (level <= logLevel.WARN && ROUTINE_RETRIES.some((r) => text.includes(r))) logger.debug(entry, message);
      else if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}

/** The Kafka bus: kafkajs with idempotent producers, read_committed consumers and transactions. */
export class KafkaBus implements Bus {
  readonly description: string;
  private readonly kafka: Kafka;
  private readonly tuning: KafkaBusTuning;
  private admin: Promise<Admin> | null = null;
  private readonly open = new Set<{ disconnect(): Promise<void> }>();

  constructor(
    config: KafkaConfig,
    private readonly prefix: string,
    private readonly logger: BusLogger = silentLogger,
    tuning: Partial<KafkaBusTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.description = `kafka ${config.brokers as string[]}${prefix ? ` (topic prefix ${prefix})` : ""}`;
    this.kafka = new Kafka({
      ...config,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogger(logger),
      // rides out a broker restart (about ten seconds here) before a call gives up
      retry: { initialRetryTime: 300, retries: 12, maxRetryTime: 5_000 },
    });
  }

  /** Builds a bus from environment-derived settings (resolving MSK brokers when needed). */
  static async create(
    settings: KafkaSettings,
    logger?: BusLogger,
    tuning?: Partial<KafkaBusTuning>,
  ): Promise<KafkaBus> {
    return new KafkaBus(await kafkajsConfig(settings), settings.topicPrefix, logger, tuning);
  }

  topicName(id: TopicId): string {
    return topicName(id, this.prefix);
  }

  private idOf(name: string): TopicId {
    const id = TOPIC_IDS.find((t) => this.topicName(t) === name);
    if (!id) throw new KafkaBusError(`topic ${name} is not in the registry`);
    return id;
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.open.add(admin);
    }
    return this.admin;
  }

  async ensureTopics(): Promise<void> {
    const admin = await this.adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = TOPIC_IDS.filter((id) => !existing.has(this.topicName(id)));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((id) => ({
          topic: this.topicName(id),
          numPartitions: TOPICS[id].partitions,
          configEntries: Object.entries(TOPICS[id].config).map(([name, value]) => ({ name, value })),
        })),
      });
      this.logger.info({ topics: missing.map((id) => this.topicName(id)) }, "created topics");
      // Leaders exist when createTopics returns, but the metadata that offset requests consult
      // can trail by a moment (NOT_LEADER_FOR_PARTITION): wait until every new topic answers.
      const deadline = Date.now() + 30_000;
      for (const id of missing) {
        for (;;) {
          try {
            await admin.fetchTopicOffsets(this.topicName(id));
            break;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
    }
    // Growing a keyed topic would move keys to new partitions while their backlog sits in the old
    // ones (per-symbol order lost): a topic whose partitions differ from the registry stops the
    // start with what to do; `tickflow doctor kafka` reports it too.
    const present = TOPIC_IDS.filter((id) => existing.has(this.topicName(id)));
    if (present.length > 0) {
      const { topics } = await admin.fetchTopicMetadata({ topics: present.map((id) => this.topicName(id)) });
      const wrong = topics.filter((t) => t.partitions.length !== TOPICS[this.idOf(t.name)].partitions);
      if (wrong.length > 0) {
        throw new KafkaBusError(
          `topics with another partition count than the registry's: ${wrong.map((t) => `${t.name} has ${t.partitions.length}, expected ${TOPICS[this.idOf(t.name)].partitions}`).join("; ")}. Recreate them (or use another KAFKA_TOPIC_PREFIX).`,
        );
      }
    }
  }

  async publisher(): Promise<Publisher> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: IDEMPOTENT_RETRY,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    this.open.add(producer);
    return {
      publish: async (records) => {
        if (records.length === 0) return;
        for (const chunk of chunkBySize(records))
          await producer.sendBatch({ acks: -1, topicMessages: this.topicMessages(chunk) });
      },
      close: async () => {
        this.open.delete(producer);
        await producer.disconnect();
      },
    };
  }

  private topicMessages(records: OutgoingRecord[]) {
    const byTopic = new Map<string, { key: string | null; value: Buffer | null; headers?: Record<string, string> }[]>();
    for (const r of records) {
      const name = this.topicName(r.topic);
      let list = byTopic.get(name);
      if (!list) byTopic.set(name, (list = []));
      list.push({ key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) });
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  private consumer(groupId: string): Consumer {
    const config: ConsumerConfig = {
      groupId,
      readUncommitted: false,
      sessionTimeout: this.tuning.sessionTimeoutMs,
      heartbeatInterval: this.tuning.heartbeatIntervalMs,
      maxWaitTimeInMs: this.tuning.maxWaitTimeMs,
      // crash-only: a failed consumer stops and reports, the process decides (exit, restart)
      retry: { retries: 12, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: async () => false },
    };
    return this.kafka.consumer(config);
  }

  /** Runs a consumer until stopped; `done` rejects if kafkajs gives up on it. */
  private supervise(consumer: Consumer, extra: () => Promise<void> = async () => {}): Subscription {
    let settle!: { resolve: () => void; reject: (e: unknown) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let stopped: Promise<void> | null = null;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (stopped) return;
      this.logger.error({ err: payload.error, groupId: payload.groupId }, "consumer crashed");
      settle.reject(payload.error);
    });
    this.open.add(consumer);
    return {
      done,
      // once: a processor stops itself when it fails, and its owner stops it again on the way out
      stop: () =>
        (stopped ??= (async () => {
          this.open.delete(consumer);
          await consumer.disconnect();
          await extra();
          settle.resolve();
        })()),
    };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const consumer = this.consumer(options.groupId);
    await consumer.connect();
    await consumer.subscribe({
      topics: options.topics.map((t) => this.topicName(t)),
      fromBeginning: options.fromBeginning ?? false,
    });
    const subscription = this.supervise(consumer);
    const autoResolve = options.autoResolve ?? true;
    const budgetMs = options.batchBudgetMs ?? Math.floor(this.tuning.sessionTimeoutMs / 2);
    await consumer.run({
      // resolved here, never by kafkajs: a batch skipped (stopping, stale) or left early must not be committed
      eachBatchAutoResolve: false,
      autoCommit: true,
      // commit whatever is resolved whenever kafkajs checks: after a batch of only aborted records
      // or transaction markers too (without a threshold kafkajs resolves those but never commits them)
      autoCommitThreshold: 1,
      eachBatch: async ({
        batch,
        isRunning,
        isStale,
        resolveOffset,
        heartbeat,
        commitOffsetsIfNecessary,
        uncommittedOffsets,
      }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const id = this.idOf(batch.topic);
        const records = batch.messages.map((m) => toRecord(id, batch.partition, m));
        const first = BigInt(records[0]!.offset);
        const last = BigInt(records[records.length - 1]!.offset);
        const started = Date.now();
        const control: BatchControl = {
          heartbeat: () => heartbeat(),
          resolveOffset: (offset) => {
            const at = BigInt(offset);
            if (at < first || at > last)
              throw new KafkaBusError(
                `offset ${offset} is not in this batch of ${batch.topic}[${batch.partition}] (${first} to ${last})`,
              );
            // kafkajs resolves the trailing transaction marker along with the batch's last record
            resolveOffset(offset);
          },
          commit: async () => void (await commitOffsetsIfNecessary(uncommittedOffsets())),
          isRunning: () => isRunning() && !isStale(),
          timeLeftMs: () => Math.max(0, started + budgetMs - Date.now()),
        };
        await options.onBatch(records, control);
        if (autoResolve) resolveOffset(records[records.length - 1]!.offset);
      },
    });
    return subscription;
  }

  /**
   * One transaction spans the partition batches kafkajs hands over back to back: each batch's
   * outputs are sent into the open transaction as it is processed, and a commit (the state
   * snapshot, every touched partition's next offset pointing at it, then EndTxn) is scheduled
   * right after, so the batches of one fetch commit together. Per-transaction round trips, not
   * processing, bound this loop: one transaction per fetch instead of one per partition batch
   * raises throughput and cuts the wait of the last partition's ticks.
   */
  async runProcessor<S>(options: ProcessorOptions<S>): Promise<Processor> {
    const inputs = options.inputs.map((id) => this.topicName(id));
    const producer: Producer = this.kafka.producer({
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.tuning.transactionTimeoutMs,
      retry: IDEMPOTENT_RETRY,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // Connecting registers the transactional id: a previous instance is fenced and its open
    // transaction aborted, so the state read below is the last one that really committed.
    await producer.connect();
    this.open.add(producer);
    await options.restore(await this.committedState<S>(options.groupId, inputs, options.stateKey));

    const stateTopic = this.topicName("state");
    let pending: {
      tx: Transaction;
      /** The next offset to read, by topic name and partition. */
      offsets: Map<string, Map<number, string>>;
      records: BusRecord[];
      outputs: OutgoingRecord[];
    } | null = null;
    let commitScheduled = false;
    let failure: unknown = null;
    // eachBatch and the deferred commit take turns: a commit never interleaves with a batch
    let turn: Promise<void> = Promise.resolve();
    const exclusive = (work: () => Promise<void>): Promise<void> => {
      const run = turn.then(work);
      turn = run.catch(() => {});
      return run;
    };
    let fail!: (error: unknown) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});

    const commit = async (): Promise<void> => {
      commitScheduled = false;
      const open = pending;
      if (!open) return;
      pending = null;
      try {
        const [written] = await open.tx.send({
          topic: stateTopic,
          acks: -1,
          compression: CompressionTypes.GZIP,
          messages: [{ key: options.stateKey, value: JSON.stringify(options.snapshot()) }],
        });
        const metadata = JSON.stringify({
          statePartition: written!.partition,
          stateOffset: written!.baseOffset!,
        } satisfies StatePointer);
        // every input partition this transaction read points at the snapshot it wrote
        await open.tx.sendOffsets({
          consumerGroupId: options.groupId,
          topics: [...open.offsets].map(([topic, partitions]) => ({
            topic,
            partitions: [...partitions].map(
              ([partition, offset]) => ({ partition, offset, metadata }) as { partition: number; offset: string },
            ),
          })),
        });
        await open.tx.commit();
      } catch (error) {
        // an aborted transaction leaves nothing visible; the process restarts from the last commit
        await open.tx.abort().catch(() => {});
        throw error;
      }
      options.onCommitted?.({ records: open.records, outputs: open.outputs });
    };
    let subscription: Subscription | null = null;
    const crash = (error: unknown) => {
      if (failure !== null) return;
      failure = error;
      fail(error);
      // Leave the group now: the partitions this member holds would otherwise sit unprocessed
      // (a fenced member refuses every batch) until the process exits or kafkajs gives up retrying.
      void subscription?.stop().catch(() => {});
    };

    const consumer = this.consumer(options.groupId);
    await consumer.connect();
    await consumer.subscribe({ topics: inputs, fromBeginning: true });
    consumer.on(consumer.events.REBALANCING, () => {
      // processed but uncommitted input could now belong to another member: start over from the last commit
      if (pending)
        crash(
          new KafkaBusError(
            `consumer group ${options.groupId} rebalanced with a transaction open; restart to resume from the last commit`,
          ),
        );
    });
    subscription = this.supervise(consumer, async () => {
      if (failure === null) await exclusive(commit); // drain: what was processed commits before leaving
      this.open.delete(producer);
      await producer.disconnect();
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: ({ batch, isRunning, isStale, resolveOffset, heartbeat }) =>
        exclusive(async () => {
          if (failure !== null || !isRunning() || isStale() || batch.messages.length === 0) return;
          const id = this.idOf(batch.topic);
          const records = batch.messages.map((m) => toRecord(id, batch.partition, m));
          const { outputs } = options.process(records);
          pending ??= { tx: await producer.transaction(), offsets: new Map(), records: [], outputs: [] };
          for (const chunk of chunkBySize(outputs))
            await pending.tx.sendBatch({ acks: -1, topicMessages: this.topicMessages(chunk) });
          let topicOffsets = pending.offsets.get(batch.topic);
          if (!topicOffsets) pending.offsets.set(batch.topic, (topicOffsets = new Map()));
          topicOffsets.set(batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
          pending.records.push(...records);
          pending.outputs.push(...outputs);
          resolveOffset(batch.lastOffset());
          await heartbeat();
          if (!commitScheduled) {
            commitScheduled = true;
            // after the batches kafkajs already holds: they queue for their turn before this runs
            setImmediate(() => void exclusive(commit).catch(crash));
          }
        }).catch(crash),
    });
    return { stop: subscription.stop, done: Promise.race([subscription.done, failed]) };
  }

  /**
   * kafkajs's admin fetchOffsets asks the group coordinator once, without its retrier: on a broker
   * that just started (or moved the group's __consumer_offsets partition) the coordinator answers
   * NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for a moment.
   */
  private async fetchGroupOffsets(groupId: string, topic: string) {
    const admin = await this.adminClient();
    const [result] = await retryRetriable(
      () => admin.fetchOffsets({ groupId, topics: [topic] }),
      (error) => this.logger.warn({ groupId, err: error }, "group coordinator not ready; retrying the offset fetch"),
    );
    return result;
  }

  /** The snapshot the group's committed offsets point to, or null when it never committed. */
  private async committedState<S>(groupId: string, inputs: string[], stateKey: string): Promise<S | null> {
    let latest: StatePointer | null = null;
    const committed = (await Promise.all(inputs.map((topic) => this.fetchGroupOffsets(groupId, topic)))).flatMap(
      (c) => c?.partitions ?? [],
    );
    for (const p of committed) {
      const metadata = (p as { metadata?: string | null }).metadata;
      if (!metadata) continue;
      const pointer = JSON.parse(metadata) as StatePointer;
      if (!latest || BigInt(pointer.stateOffset) > BigInt(latest.stateOffset)) latest = pointer;
    }
    if (!latest) return null;
    const [record] = await this.readRange(
      "state",
      [{ partition: latest.statePartition, from: BigInt(latest.stateOffset), to: BigInt(latest.stateOffset) + 1n }],
      30_000,
    );
    if (!record || record.offset !== latest.stateOffset || record.key !== stateKey || !record.value) {
      throw new KafkaBusError(
        `state snapshot at ${this.topicName("state")}[${latest.statePartition}]@${latest.stateOffset} for ${stateKey} is missing`,
      );
    }
    return JSON.parse(record.value.toString("utf8")) as S;
  }

  async readTail(topic: TopicId, perPartition: number): Promise<BusRecord[]> {
    const ranges = (await this.offsets(topic))
      .map((o) => ({
        partition: o.partition,
        from: BigInt(o.high) - BigInt(perPartition),
        to: BigInt(o.high),
        low: BigInt(o.low),
      }))
      .map((r) => ({ partition: r.partition, from: r.from < r.low ? r.low : r.from, to: r.to }))
      .filter((r) => r.to > r.from);
    return this.readRange(topic, ranges, 15_000);
  }

  /**
   * Reads committed records with offsets in [from, to) per partition through a throwaway
   * consumer group. Transaction markers and aborted records occupy offsets without being
   * delivered; kafkajs still reports the batch's last offset (markers included) in its
   * END_BATCH_PROCESS event, which is how a partition is known to be read to `to`.
   */
  private async readRange(
    topic: TopicId,
    ranges: { partition: number; from: bigint; to: bigint }[],
    timeoutMs: number,
  ): Promise<BusRecord[]> {
    if (ranges.length === 0) return [];
    const name = this.topicName(topic);
    const consumer = this.consumer(`tickflow-read-${randomUUID()}`);
    const records: BusRecord[] = [];
    const pending = new Map(ranges.map((r) => [r.partition, r]));
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const range = pending.get(payload.partition);
      // a batch fetched before the seek took effect starts past the range: it proves nothing
      if (
        range &&
        payload.firstOffset !== null &&
        BigInt(payload.firstOffset) < range.to &&
        BigInt(payload.lastOffset) >= range.to - 1n
      )
        pending.delete(payload.partition);
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [name], fromBeginning: false });
      await consumer.run({
        // a throwaway group: committing would leave its offsets on the broker for a week
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const range = pending.get(batch.partition);
          if (!range) return;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset >= range.from && offset < range.to) records.push(toRecord(topic, batch.partition, m));
          }
        },
      });
      for (const r of ranges) consumer.seek({ topic: name, partition: r.partition, offset: r.from.toString() });
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0) {
        if (Date.now() > deadline)
          throw new KafkaBusError(`reading ${name} timed out with partitions ${[...pending.keys()].join(", ")} unread`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await consumer.disconnect();
    }
    return records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  }

  async offsets(topic: TopicId): Promise<PartitionOffsets[]> {
    const admin = await this.adminClient();
    const offsets = await admin.fetchTopicOffsets(this.topicName(topic));
    return offsets
      .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async groupOffsets(groupId: string, topic: TopicId): Promise<{ partition: number; offset: string }[]> {
    const result = await this.fetchGroupOffsets(groupId, this.topicName(topic));
    return (result?.partitions ?? [])
      .map((p) => ({ partition: p.partition, offset: p.offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async describeCluster(): Promise<ClusterDescription> {
    const admin = await this.adminClient();
    const { clusterId, controller, brokers } = await admin.describeCluster();
    const existing = new Set(await admin.listTopics());
    const present = TOPIC_IDS.filter((id) => existing.has(this.topicName(id)));
    const metadata =
      present.length > 0
        ? (await admin.fetchTopicMetadata({ topics: present.map((id) => this.topicName(id)) })).topics
        : [];
    const configs =
      present.length > 0
        ? (
            await admin.describeConfigs({
              includeSynonyms: false,
              // from the default export: Node's ESM loader does not see this enum among kafkajs's (CommonJS) named exports
              resources: present.map((id) => ({
                type: kafkajs.ConfigResourceTypes.TOPIC,
                name: this.topicName(id),
                configNames: Object.keys(TOPICS[id].config),
              })),
            })
          ).resources
        : [];
    return {
      clusterId,
      controller,
      brokers: brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })).sort((a, b) => a.nodeId - b.nodeId),
      topics: TOPIC_IDS.map((id) => {
        const name = this.topicName(id);
        const partitions = metadata.find((t) => t.name === name)?.partitions ?? [];
        const entries = configs.find((r) => r.resourceName === name)?.configEntries ?? [];
        return {
          id,
          name,
          exists: existing.has(name),
          partitions: partitions
            .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }))
            .sort((a, b) => a.partition - b.partition),
          config: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
        };
      }),
    };
  }

  async close(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    this.admin = null;
    await Promise.allSettled(open.map((c) => c.disconnect()));
  }
}
