import {
  consumerLag,
  readEvents,
  toDlq,
  type BatchControl,
  type Bus,
  type BusRecord,
  type Publisher,
  type Subscription,
} from "@tickflow/bus";
import type { RiskHalted } from "@tickflow/core";
import type { Metrics } from "@tickflow/metrics";
import type { Logger } from "pino";
import { alertFromHalt, type AlertStore } from "../alerts";
import { GatewayError } from "../errors";
import type { ConsumerHealthSource } from "../http/deps";
import { RISK_CONSUMER_TOPICS, type RecordFailure, type RiskConsumerHandler } from "../risk-consumer/handler";
import type { StrategyDirectory } from "../risk-consumer/strategies";
import type { ConsumerHealth } from "../schemas";
import { lambdaContext, mskEvent } from "./events";

export interface LocalRiskConsumerOptions {
  bus: Bus;
  groupId: string;
  /**
   * Builds the handler the MSK event source invokes on AWS (createRiskConsumer), passing it
   * `onRecordFailure`: how this consumer learns each reported record's error and whether
   * retrying can help, which the Lambda response does not carry.
   */
  createHandler(onRecordFailure: (failure: RecordFailure) => void): RiskConsumerHandler;
  /** Filled with the halts already on strategy.risk.v1, so /api/alerts survives a restart as it does on AWS. */
  store: AlertStore;
  /** The handler's own check, applied to the halts read when priming; without it every earlier halt is kept. */
  strategies?: StrategyDirectory;
  metrics: Metrics;
  logger: Logger;
  /** Invocations per record that fails in a way that may pass before it is dead-lettered (the mapping's retry attempts + 1). */
  maxAttempts?: number;
  /** The pause before the n-th retry of a record is n times this. */
  retryDelayMs?: number;
  /** Records per handler invocation: the event source mapping's batch size (the Api stack's 100). */
  invocationSize?: number;
  /** How long one partition batch may take before the consumer returns what is left for the next fetch; default: the bus's (half the session timeout). */
  batchBudgetMs?: number;
  /** How often the group's lag is measured (the tickflow_consumer_lag gauge and /api/health). */
  lagIntervalMs?: number;
  /** A partition with records behind whose committed offset has not moved for longer than this makes the consumer down in /api/health. */
  stallAfterMs?: number;
}

export interface LocalRiskConsumer extends Subscription, ConsumerHealthSource {
  /** Settles when the halts already on the risk topic are in the store. */
  readonly primed: Promise<void>;
}

/** The halts kept when priming: the store's capacity is the bound that matters. */
const PRIME_TAIL = 1_000;
const FUNCTION_TIMEOUT_MS = 60_000;
/** How often a long step (an invocation, a pause before a retry) heartbeats: below the bus's 1 s heartbeat interval would only add no-ops. */
const HEARTBEAT_EVERY_MS = 1_000;
/**
 * Longer than the strategy worker's transaction timeout (30 s): an open transaction at the end
 * of a partition holds the committed offset below the high watermark until it commits or aborts.
 */
const DEFAULT_STALL_AFTER_MS = 60_000;
/** Records dead-lettered by this process, so a batch delivered again after a failed commit does not dead-letter one twice. */
const DEAD_LETTERED_CAPACITY = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` while heartbeating every second, so a slow handler invocation (an SNS call that
 * hangs to its timeout) does not cost the member its partitions. Heartbeat failures during the
 * work are left to the heartbeat that follows it, which lets a rebalance through to the bus.
 */
async function beating<T>(control: BatchControl, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => void control.heartbeat().catch(() => {}), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Per partition: the record at its head that keeps failing, how often it failed, and when it may be tried again. */
interface Retry {
  offset: string;
  attempts: number;
  notBefore: number;
}

/**
 * Feeds the risk/alerts Lambda handler locally as an MSK event source mapping would: a
 * read_committed consumer group on strategy.risk.v1 and strategy.orders.v1 turns each batch into
 * MSK-shaped events of at most `invocationSize` records and invokes the handler.
 *
 * A record the handler refuses for good (it does not decode, its strategy does not exist) goes
 * to dlq.v1 at once with its reason and error; one that fails in a way that may pass (SNS down,
 * the strategy worker unreachable) is retried from its offset, after a pause, and after
 * `maxAttempts` goes to dlq.v1 as consumer-failed with its last error. Each dead letter is
 * committed at once, so a batch that comes back never dead-letters a record twice. The consumer
 * heartbeats through every slow step and keeps each batch inside its time budget: when the
 * budget is spent it commits what is done and returns, and the rest comes with the next fetch.
 * Its lag is measured every `lagIntervalMs`; a partition that has records behind and has not
 * advanced for `stallAfterMs` makes it down in /api/health.
 */
export async function startLocalRiskConsumer(options: LocalRiskConsumerOptions): Promise<LocalRiskConsumer> {
  const { bus, metrics, logger, groupId } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const invocationSize = options.invocationSize ?? 100;
  const lagIntervalMs = options.lagIntervalMs ?? 5_000;
  const stallAfterMs = options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  // the gateway may start before the workers: the topics are created by whoever comes first
  await bus.ensureTopics();
  const source = {
    clusterArn: "arn:aws:kafka:local:000000000000:cluster/tickflow-local/local",
    bootstrapServers: bus.description,
  };
  const publisher: Publisher = await bus.publisher();
  let stopping = false;

  // what the handler reported in the invocation under way, by "<topic>-<partition>@<offset>" (one partition's batch at a time)
  const reported = new Map<string, RecordFailure>();
  const handler = options.createHandler((failure) => reported.set(`${failure.partition}@${failure.offset}`, failure));
  const retries = new Map<string, Retry>();
  const deadLettered = new Set<string>();

  const deadLetter = async (record: BusRecord, topic: string, reason: string, message: string) => {
    const id = `${topic}-${record.partition}@${record.offset}`;
    if (deadLettered.has(id)) return;
    await publisher.publish([toDlq(record, topic, reason, message, groupId)]);
    deadLettered.add(id);
    if (deadLettered.size > DEAD_LETTERED_CAPACITY) deadLettered.delete(deadLettered.values().next().value!);
    metrics.inc("tickflow_dlq_messages_total", { topic, reason });
    logger.error(
      { topic, partition: record.partition, offset: record.offset, reason, error: message },
      "sent a record the risk/alerts consumer cannot handle to the DLQ",
    );
  };

  /** Waits up to `ms`, heartbeating, but never past the batch's budget or a stop. */
  const pause = async (control: BatchControl, ms: number) => {
    const until = Date.now() + Math.min(ms, control.timeLeftMs());
    while (Date.now() < until && control.isRunning()) {
      await sleep(Math.min(until - Date.now(), 100));
      await control.heartbeat();
    }
  };

  const onBatch = async (records: BusRecord[], control: BatchControl) => {
    const topic = bus.topicName(records[0]!.topic);
    const partition = `${topic}-${records[0]!.partition}`;
    let pending = records;
    while (pending.length > 0) {
      // out of time or told to stop: what is resolved commits, the rest comes back
      if (!control.isRunning() || control.timeLeftMs() === 0) return;
      const head = retries.get(partition);
      if (head?.offset === pending[0]!.offset && head.notBefore > Date.now()) {
        await pause(control, head.notBefore - Date.now());
        continue;
      }
      const chunk = pending.slice(0, invocationSize);
      const response = await beating(control, () =>
        handler(mskEvent(chunk, topic, source), lambdaContext("tickflow-risk-consumer", FUNCTION_TIMEOUT_MS)),
      );
      await control.heartbeat();
      const failed = response.batchItemFailures.map((f) => BigInt(f.itemIdentifier.offset));
      if (failed.length === 0) {
        control.resolveOffset(chunk[chunk.length - 1]!.offset);
        retries.delete(partition);
        pending = pending.slice(chunk.length);
        continue;
      }
      const from = failed.reduce((a, b) => (b < a ? b : a));
      const index = chunk.findIndex((r) => BigInt(r.offset) === from);
      // AWS fails the whole batch on an identifier it did not send; here it is a bug: crash-only
      if (index < 0)
        throw new GatewayError(`the risk/alerts handler reported offset ${from}, which was not in the batch`);
      if (index > 0) control.resolveOffset(chunk[index - 1]!.offset);
      const record = chunk[index]!;
      // the handler stops a partition at its first failure: one report per invocation, taken here
      const failure = reported.get(`${partition}@${record.offset}`);
      reported.clear();
      const message = failure?.message ?? "the risk/alerts handler reported this record without saying why";
      // attempts count per record, across deliveries: a later record that fails starts again at its first
      const retry: Retry =
        retries.get(partition)?.offset === record.offset
          ? retries.get(partition)!
          : { offset: record.offset, attempts: 0, notBefore: 0 };
      retry.attempts += 1;
      if (failure?.reason || retry.attempts >= maxAttempts) {
        // a record that will never be handled skips the retries; one that may pass gets maxAttempts
        await deadLetter(
          record,
          topic,
          failure?.reason ?? "consumer-failed",
          failure?.reason ? message : `${message} (failed ${retry.attempts} times)`,
        );
        control.resolveOffset(record.offset);
        await control.commit();
        retries.delete(partition);
        pending = pending.slice(index + 1);
        continue;
      }
      retry.notBefore = Date.now() + retryDelayMs * retry.attempts;
      retries.set(partition, retry);
      pending = pending.slice(index);
    }
  };

  // A new group starts at the oldest retained record (an event source mapping's TRIM_HORIZON):
  // halts from before the gateway first ran are alerted too. Afterwards it resumes where it committed.
  const subscription = await bus.subscribe({
    groupId,
    topics: RISK_CONSUMER_TOPICS,
    fromBeginning: true,
    autoResolve: false,
    ...(options.batchBudgetMs !== undefined ? { batchBudgetMs: options.batchBudgetMs } : {}),
    onBatch,
  });
  let ended: string | null = null;
  subscription.done.then(
    () => (ended = "the risk/alerts consumer has stopped"),
    (error: unknown) =>
      (ended = `the risk/alerts consumer failed: ${error instanceof Error ? error.message : String(error)}`),
  );

  /** Asks until it gets an answer (the strategy worker may start after the gateway), or the consumer stops. */
  const known = async (strategies: StrategyDirectory, strategyId: string): Promise<boolean> => {
    for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await strategies.has(strategyId);
      } catch (error) {
        if (stopping) throw error;
        logger.debug({ err: error, strategyId }, "cannot check a primed halt's strategy yet; asking again");
        await sleep(delay);
      }
    }
  };

  // Priming reads, never sends: every halt on the topic was alerted when it was consumed. A halt
  // of a strategy that does not exist was dead-lettered then, and is left out here as well.
  const primed = (async () => {
    try {
      const halts: RiskHalted[] = [];
      // the consumer reports (and dead-letters) bad records; priming only looks for halts
      for (const { event } of await readEvents(bus, "risk", PRIME_TAIL, ["risk.halted"]))
        if (event.type === "risk.halted") halts.push(event.data);
      const exists = new Map<string, boolean>();
      if (options.strategies)
        for (const id of new Set(halts.map((h) => h.strategyId))) exists.set(id, await known(options.strategies, id));
      for (const halt of halts)
        if (!options.strategies || exists.get(halt.strategyId)) options.store.add(alertFromHalt(halt));
    } catch (error) {
      logger.warn({ err: error }, "could not read earlier halts: /api/alerts shows only new ones");
    }
  })();

  // On AWS the event source's OffsetLag metric shows this; locally the gateway measures it.
  const progress = new Map<string, { committed: string; since: number }>();
  let lag = 0;
  let stalled: string[] = [];
  let measured: { at: number; error: string | null } | null = null;
  const measureLag = async () => {
    const now = Date.now();
    try {
      let total = 0n;
      const behind: string[] = [];
      for (const topic of RISK_CONSUMER_TOPICS) {
        const name = bus.topicName(topic);
        for (const { partition, committed: at, lag: partitionLag } of await consumerLag(bus, groupId, topic)) {
          metrics.set(
            "tickflow_consumer_lag",
            { group: groupId, topic: name, partition: String(partition) },
            Number(partitionLag),
          );
          total += partitionLag;
          const key = `${name}[${partition}]`;
          const seen = progress.get(key);
          if (!seen || seen.committed !== at || partitionLag <= 0n) progress.set(key, { committed: at, since: now });
          else if (now - seen.since > stallAfterMs) {
            behind.push(
              `${key} has not advanced from offset ${at} for ${Math.round((now - seen.since) / 1_000)} s with ${partitionLag} records behind`,
            );
          }
        }
      }
      lag = Number(total);
      stalled = behind;
      measured = { at: now, error: null };
    } catch (error) {
      measured = { at: measured?.at ?? 0, error: error instanceof Error ? error.message : String(error) };
      logger.warn({ err: error }, "could not measure the risk consumer's lag");
    }
  };
  const lagTimer = setInterval(() => void measureLag(), lagIntervalMs);
  await measureLag();

  const health = (): ConsumerHealth => {
    const base = { name: "risk-alerts" as const, group: groupId, lag };
    if (ended) return { ...base, status: "down", detail: ended };
    // one failed measurement is a blip; two intervals without one, the broker is out of reach
    if (measured?.error && Date.now() - measured.at > 2 * lagIntervalMs)
      return { ...base, status: "down", detail: `cannot read its offsets: ${measured.error}` };
    if (stalled.length > 0)
      return {
        ...base,
        status: "down",
        detail: `not advancing: ${stalled.slice(0, 3).join("; ")}${stalled.length > 3 ? ` (and ${stalled.length - 3} more)` : ""}`,
      };
    return { ...base, status: "up" };
  };

  return {
    done: subscription.done,
    primed,
    health,
    stop: async () => {
      stopping = true;
      clearInterval(lagTimer);
      await subscription.stop();
      await primed;
      await publisher.close();
    },
  };
}
