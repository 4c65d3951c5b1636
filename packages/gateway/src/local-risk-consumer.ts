import { decodeEvent, toDlq, type Bus, type BusRecord, type Publisher, type Subscription, type TopicId } from "@tickflow/bus";
import type { Metrics } from "@tickflow/metrics";
import type { Logger } from "pino";
import { alertFromHalt, type AlertStore } from "./alerts";
import { GatewayError } from "./errors";
import { lambdaContext, mskEvent } from "./local-events";
import type { RiskConsumerHandler } from "./risk-consumer";

/** The topics the risk/alerts consumer reads: the MSK event source's topics on AWS. */
export const RISK_CONSUMER_TOPICS: TopicId[] = ["risk", "orders"];

export interface LocalRiskConsumerOptions {
  bus: Bus;
  groupId: string;
  /** The same handler the MSK event source invokes on AWS. */
  handler: RiskConsumerHandler;
  /** Filled with the halts already on strategy.risk.v1, so /api/alerts survives a restart as it does on AWS. */
  store: AlertStore;
  metrics: Metrics;
  logger: Logger;
  /** Invocations per failing record before it is dead-lettered (the mapping's retry attempts + 1). */
  maxAttempts?: number;
  retryDelayMs?: number;
}

export interface LocalRiskConsumer extends Subscription {
  /** Settles when the halts already on the risk topic are in the store. */
  readonly primed: Promise<void>;
}

/** The halts kept when priming: the store's capacity is the bound that matters. */
const PRIME_TAIL = 1_000;
const LAG_INTERVAL_MS = 5_000;
const FUNCTION_TIMEOUT_MS = 60_000;

/**
 * Feeds the risk/alerts Lambda handler locally as an MSK event source mapping would: a
 * read_committed consumer group on strategy.risk.v1 and strategy.orders.v1 turns each batch into
 * an MSK-shaped event and invokes the handler. Reported failures are retried from the failed
 * offset, and after `maxAttempts` the record goes to dlq.v1 (the mapping's on-failure
 * destination) and the partition moves on; offsets are committed once a batch is done.
 */
export async function startLocalRiskConsumer(options: LocalRiskConsumerOptions): Promise<LocalRiskConsumer> {
  const { bus, handler, metrics, logger, groupId } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 250;
  // the gateway may start before the workers: the topics are created by whoever comes first
  await bus.ensureTopics();
  const source = { clusterArn: "arn:aws:kafka:local:000000000000:cluster/tickflow-local/local", bootstrapServers: bus.description };
  const publisher: Publisher = await bus.publisher();

  const deadLetter = async (record: BusRecord, attempts: number) => {
    const topic = bus.topicName(record.topic);
    await publisher.publish([toDlq(record, topic, "consumer-failed", `the risk/alerts consumer failed on this record ${attempts} times`)]);
    metrics.inc("tickflow_dlq_messages_total", { topic, reason: "consumer-failed" });
    logger.error({ topic, partition: record.partition, offset: record.offset, attempts }, "sent a record the risk/alerts consumer keeps failing on to the DLQ");
  };

  const onBatch = async (records: BusRecord[]) => {
    let pending = records;
    let attempt = 1;
    let failing: bigint | null = null;
    while (pending.length > 0) {
      const topic = bus.topicName(pending[0]!.topic);
      const response = await handler(mskEvent(pending, topic, source), lambdaContext("tickflow-risk-consumer", FUNCTION_TIMEOUT_MS));
      const failed = response.batchItemFailures.map((f) => BigInt(f.itemIdentifier.offset));
      if (failed.length === 0) return;
      const from = failed.reduce((a, b) => (b < a ? b : a));
      const rest = pending.filter((r) => BigInt(r.offset) >= from);
      // AWS fails the whole batch on an identifier it did not send; here it is a bug: crash-only
      if (!pending.some((r) => BigInt(r.offset) === from)) throw new GatewayError(`the risk/alerts handler reported offset ${from}, which was not in the batch`);
      // attempts count per record: a later record that fails starts again at its first
      if (from !== failing) {
        failing = from;
        attempt = 1;
      }
      if (attempt < maxAttempts) {
        attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
        pending = rest;
        continue;
      }
      await deadLetter(rest[0]!, attempt);
      pending = rest.slice(1);
    }
  };

  // A new group starts at the oldest retained record (an event source mapping's TRIM_HORIZON):
  // halts from before the gateway first ran are alerted too. Afterwards it resumes where it committed.
  const subscription = await bus.subscribe({ groupId, topics: RISK_CONSUMER_TOPICS, fromBeginning: true, onBatch });

  // Priming reads, never sends: every halt on the topic was alerted when it was consumed.
  const primed = (async () => {
    try {
      for (const record of await bus.readTail("risk", PRIME_TAIL)) {
        let event;
        try {
          event = decodeEvent(record.value, ["risk.halted", "risk.reset"]);
        } catch {
          continue; // the consumer reports (and dead-letters) bad records; priming only looks for halts
        }
        if (event.type === "risk.halted") options.store.add(alertFromHalt(event.data));
      }
    } catch (error) {
      logger.warn({ err: error }, "could not read earlier halts: /api/alerts shows only new ones");
    }
  })();

  // On AWS the event source's OffsetLag metric shows this; locally the gateway measures it.
  const measureLag = async () => {
    try {
      for (const topic of RISK_CONSUMER_TOPICS) {
        const [ends, committed] = await Promise.all([bus.offsets(topic), bus.groupOffsets(groupId, topic)]);
        for (const end of ends) {
          const at = committed.find((c) => c.partition === end.partition)?.offset ?? "-1";
          const lag = at === "-1" ? BigInt(end.high) - BigInt(end.low) : BigInt(end.high) - BigInt(at);
          metrics.set("tickflow_consumer_lag", { group: groupId, topic: bus.topicName(topic), partition: String(end.partition) }, Number(lag));
        }
      }
    } catch (error) {
      logger.warn({ err: error }, "could not measure the risk consumer's lag");
    }
  };
  const lagTimer = setInterval(() => void measureLag(), LAG_INTERVAL_MS);
  void measureLag();

  return {
    done: subscription.done,
    primed,
    stop: async () => {
      clearInterval(lagTimer);
      await subscription.stop();
      await primed;
      await publisher.close();
    },
  };
}
