import middy, { type MiddyfiedHandler } from "@middy/core";
import { decodeEvent, DecodeError, TOPICS, type DecodeReason, type TopicId } from "@tickflow/bus";
import type { EventType } from "@tickflow/core";
import type { Metrics } from "@tickflow/metrics";
import type { Context, MSKEvent } from "aws-lambda";
import type { Logger } from "pino";
import { z } from "zod";
import { alertFromHalt } from "../alerts";
import { GatewayError } from "../errors";
import { flushMetrics, runtimeFromEnv } from "../runtime";
import { Upstream } from "../upstream";
import { snsChannel, type AlertChannel } from "./channels";
import { RunningStrategies, type StrategyDirectory } from "./strategies";

/** The risk/alerts consumer's Lambda (this module's `handler`), in the `file.export` form SST takes, relative to the repository root. */
export const RISK_CONSUMER_HANDLER = "packages/gateway/src/risk-consumer/handler.handler";

/** The topics the risk/alerts consumer reads: the MSK event source's topics on AWS, the local consumer's group here. */
export const RISK_CONSUMER_TOPICS: TopicId[] = ["risk", "orders"];

/** What arrives on strategy.risk.v1 and strategy.orders.v1; anything else on them is a bad record. */
export const CONSUMED_EVENTS: readonly EventType[] = RISK_CONSUMER_TOPICS.flatMap((topic) => TOPICS[topic].events);

/**
 * The event an MSK (or self-managed Kafka) event source mapping invokes the function with:
 * records grouped under "<topic>-<partition>" keys, key and value base64-encoded, headers as
 * lists of { name: byte values }. A record without a key or value comes without those fields.
 */
export const MskEventSchema = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(
    z.string(),
    z.array(
      z.object({
        topic: z.string(),
        partition: z.number().int(),
        offset: z.number().int(),
        timestamp: z.number(),
        timestampType: z.string(),
        key: z.string().nullish(),
        value: z.string().nullish(),
        headers: z.array(z.record(z.string(), z.array(z.number().int()))).default([]),
      }),
    ),
  ),
});
type MskRecord = z.infer<typeof MskEventSchema>["records"][string][number];

/**
 * Partial batch response for Kafka event sources: the records named here are retried, the rest
 * of the batch counts as done; an empty list is full success. A record is named by its event key
 * "<topic>-<partition>" and its offset, the form AWS's own runtimes send:
 *   { "batchItemFailures": [ { "itemIdentifier": { "partition": "strategy.risk.v1-0", "offset": 42 } } ] }
 * Lambda reads this body only when the event-source mapping sets ReportBatchItemFailures
 * (provisioned poller mode), so the Api stack sets it; without it only a thrown error retries.
 */
export interface KafkaBatchResponse {
  batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[];
}

/** Why a record can never be handled, however often it is retried: its DLQ reason. */
export type RejectionReason = DecodeReason | "unknown-strategy";

/** A risk.halted for a strategy that does not run: forged, or from another deployment. Retrying cannot help. */
export class UnknownStrategyError extends GatewayError {
  readonly reason = "unknown-strategy" as const;
}

/** One record the handler could not handle, as it tells RiskConsumerDeps.onRecordFailure. */
export interface RecordFailure {
  /** The event's "<topic>-<partition>" records key, as in batchItemFailures. */
  partition: string;
  topic: string;
  offset: number;
  /** The error, for a human (the DLQ's x-error). */
  message: string;
  /** Set when the record can never be handled (it does not decode, its strategy does not exist); null for a failure that may pass (an SNS outage, the strategy worker unreachable). */
  reason: RejectionReason | null;
}

/** Records whose rejection was counted, so a redelivered one is not counted again (per container). */
const COUNTED_CAPACITY = 10_000;

export interface RiskConsumerDeps {
  metrics: Metrics;
  logger: Logger;
  /** Where alerts go, in order: a retried record re-sends only to channels that did not take it. */
  channels: AlertChannel[];
  /**
   * The strategies that exist: a halt for any other is refused (UnknownStrategyError) and never
   * alerted. Without it every halt is taken as it comes.
   */
  strategies?: StrategyDirectory;
  /**
   * Told of every record reported in batchItemFailures, with its error and whether retrying can
   * help, before the invocation returns. The response AWS reads stays as it is; the local
   * consumer uses this to dead-letter a record at once with its real reason and error.
   */
  onRecordFailure?: (failure: RecordFailure) => void;
  /**
   * The caller reads `batchItemFailures` (a mapping with ReportBatchItemFailures, or the local
   * consumer). Otherwise a failure throws, so the whole batch is retried rather than dropped.
   */
  partialBatchResponses: boolean;
}

export type RiskConsumerHandler = MiddyfiedHandler<MSKEvent, KafkaBatchResponse>;

/**
 * The risk/alerts consumer: decodes each record with the bus codec, counts every risk and order
 * event, and sends an alert for every risk.halted of a strategy that exists. Records of a
 * partition are handled in order; the first that fails is reported and the rest of that
 * partition is left for the redelivery (handling them now would alert twice for them), while
 * other partitions go on. A record refused for good (undecodable, unknown strategy) is counted
 * once however often it comes back.
 */
export function createRiskConsumer(deps: RiskConsumerDeps): RiskConsumerHandler {
  const { metrics, logger, channels } = deps;
  const counted = new Set<string>();

  const countRejection = (record: MskRecord, type: "undecodable" | "unknown-strategy") => {
    const id = `${record.topic}-${record.partition}@${record.offset}`;
    if (counted.has(id)) return;
    counted.add(id);
    if (counted.size > COUNTED_CAPACITY) counted.delete(counted.values().next().value!);
    metrics.inc("tickflow_risk_events_total", { type });
  };

  const handleRecord = async (record: MskRecord): Promise<void> => {
    let event;
    try {
      // a tombstone comes without `value`; an empty value is "" (zero bytes), which is not a tombstone
      event = decodeEvent(record.value != null ? Buffer.from(record.value, "base64") : null, CONSUMED_EVENTS);
    } catch (error) {
      if (error instanceof DecodeError) countRejection(record, "undecodable");
      throw error;
    }
    if (event.type === "risk.halted") {
      const { strategyId } = event.data;
      // throws when the worker cannot say: the record is retried, never taken for forged
      if (deps.strategies && !(await deps.strategies.has(strategyId))) {
        countRejection(record, "unknown-strategy");
        throw new UnknownStrategyError(
          `risk.halted for strategy ${JSON.stringify(strategyId.slice(0, 100))}, which the strategy worker does not run`,
        );
      }
      const alert = alertFromHalt(event.data);
      if (channels.length === 0) logger.error({ alert }, `${alert.message} — no alert channel: set ALERTS_TOPIC_ARN`);
      for (const channel of channels) {
        if (await channel.send(alert)) {
          metrics.inc("tickflow_alerts_sent_total", { strategy: alert.strategyId, channel: channel.name });
          logger.warn({ alertId: alert.id, strategyId: alert.strategyId, channel: channel.name }, alert.message);
        }
      }
    }
    metrics.inc("tickflow_risk_events_total", { type: event.type });
  };

  return middy<MSKEvent, KafkaBatchResponse>()
    .use(flushMetrics<MSKEvent, KafkaBatchResponse>(metrics, logger))
    .handler(async (event) => {
      const parsed = MskEventSchema.safeParse(event);
      // nothing in it can be named: fail the invocation so the event source retries it whole
      if (!parsed.success) throw new GatewayError(`not a Kafka event-source event: ${z.prettifyError(parsed.error)}`);
      const batchItemFailures: KafkaBatchResponse["batchItemFailures"] = [];
      for (const [partition, records] of Object.entries(parsed.data.records)) {
        for (const record of [...records].sort((a, b) => a.offset - b.offset)) {
          try {
            await handleRecord(record);
          } catch (error) {
            const reason = error instanceof DecodeError || error instanceof UnknownStrategyError ? error.reason : null;
            const where = { topic: record.topic, partition: record.partition, offset: record.offset };
            if (reason)
              logger.warn({ ...where, reason, error: (error as Error).message }, "record refused; reporting it");
            else logger.error({ err: error, ...where }, "record failed; reporting it for redelivery");
            batchItemFailures.push({ itemIdentifier: { partition, offset: record.offset } });
            deps.onRecordFailure?.({
              partition,
              topic: record.topic,
              offset: record.offset,
              message: error instanceof Error ? error.message : String(error),
              reason,
            });
            break;
          }
        }
      }
      if (batchItemFailures.length > 0 && !deps.partialBatchResponses) {
        throw new GatewayError(
          `${batchItemFailures.length} partition(s) failed and this event source does not read partial batch responses: retrying the whole batch`,
        );
      }
      return { batchItemFailures };
    });
}

let lambdaHandler: RiskConsumerHandler | undefined;

/**
 * The Lambda entry (RISK_CONSUMER_HANDLER): EMF metrics, SNS alerts when ALERTS_TOPIC_ARN is set,
 * and halts checked against the strategy worker's strategies when STRATEGY_URL is set (the
 * function must then reach the worker's read API, as the route Lambdas do).
 */
export const handler = (event: MSKEvent, context: Context): Promise<KafkaBatchResponse> => {
  if (!lambdaHandler) {
    const { config, metrics, logger } = runtimeFromEnv();
    // at-least-once: a retried batch (or a redelivered record) publishes its alerts again; no de-duplication on AWS, by decision
    const channels: AlertChannel[] = config.ALERTS_TOPIC_ARN ? [snsChannel(config.ALERTS_TOPIC_ARN)] : [];
    if (channels.length === 0)
      logger.warn("ALERTS_TOPIC_ARN is not set: risk.halted events are counted and logged, but no alert is sent");
    // STRATEGY_URL has a local default; only a deployment that sets it has a worker to ask
    const strategies = process.env.STRATEGY_URL?.trim()
      ? new RunningStrategies(new Upstream("strategy", config.STRATEGY_URL, config.UPSTREAM_TIMEOUT_MS, metrics))
      : undefined;
    if (!strategies)
      logger.warn("STRATEGY_URL is not set: halts are alerted without checking that their strategy exists");
    lambdaHandler = createRiskConsumer({
      metrics,
      logger,
      channels,
      strategies,
      partialBatchResponses: config.KAFKA_REPORT_BATCH_ITEM_FAILURES,
    });
  }
  return lambdaHandler(event, context);
};
