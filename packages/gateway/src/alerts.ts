import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { RiskHaltedSchema, RiskResetSchema, type RiskHalted } from "@tickflow/core";
import { z } from "zod";
import type { Alert } from "./schemas";
import type { Upstream } from "./upstream";

const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;
const amount = (value: number) => value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The alert for a halt. Its id depends only on the halt, so every source and every retry names it alike. */
export function alertFromHalt(halt: RiskHalted): Alert {
  return {
    id: `${halt.strategyId}:${halt.tsEvent}`,
    strategyId: halt.strategyId,
    reason: halt.reason,
    message: `Strategy ${halt.strategyId} halted: drawdown ${percent(halt.drawdown)} reached its ${percent(halt.limit)} limit (equity ${amount(halt.equity)}, peak ${amount(halt.peakEquity)})`,
    drawdown: halt.drawdown,
    limit: halt.limit,
    equity: halt.equity,
    peakEquity: halt.peakEquity,
    tsEvent: halt.tsEvent,
  };
}

/** Where /api/alerts reads from: the consumer's memory locally, the strategy worker's risk history on AWS. */
export interface AlertSource {
  /** Newest first, at most `limit`. */
  recent(limit: number): Promise<Alert[]>;
}

const newestFirst = (a: Alert, b: Alert) => b.tsEvent - a.tsEvent || (a.id < b.id ? 1 : -1);

/** Alerts kept in memory by the local risk consumer, deduplicated by id (redelivered records add nothing). */
export class AlertStore implements AlertSource {
  private readonly alerts = new Map<string, Alert>();

  constructor(private readonly capacity = 1_000) {}

  /** True when the alert is new. */
  add(alert: Alert): boolean {
    if (this.alerts.has(alert.id)) return false;
    this.alerts.set(alert.id, alert);
    if (this.alerts.size > this.capacity) {
      const oldest = [...this.alerts.values()].sort(newestFirst).slice(this.capacity);
      for (const a of oldest) this.alerts.delete(a.id);
    }
    return true;
  }

  async recent(limit: number): Promise<Alert[]> {
    return [...this.alerts.values()].sort(newestFirst).slice(0, limit);
  }
}

const RiskEventsSchema = z.array(
  z.discriminatedUnion("type", [z.object({ type: z.literal("risk.halted"), data: RiskHaltedSchema }), z.object({ type: z.literal("risk.reset"), data: RiskResetSchema })]),
);

/**
 * Alerts derived from the strategy worker's risk history (GET /risk). A Lambda cannot read the
 * memory of the consumer Lambda that sent the alerts, but every alert is a risk.halted the
 * worker also keeps, so the list is the same one.
 */
export class RiskHistoryAlertSource implements AlertSource {
  constructor(private readonly strategy: Upstream) {}

  async recent(limit: number): Promise<Alert[]> {
    // resets are interleaved with halts: ask for all the worker keeps, then keep the halts
    const events = await this.strategy.getJson("/risk", RiskEventsSchema, { query: { limit: 1_000 } });
    return events
      .flatMap((e) => (e.type === "risk.halted" ? [alertFromHalt(e.data)] : []))
      .sort(newestFirst)
      .slice(0, limit);
  }
}

/** Which strategies exist, for refusing halts of strategies that do not (forged or stray records). */
export interface StrategyDirectory {
  /** Whether a strategy with this id runs; throws when that cannot be known now (its source is unreachable): a failure that may pass. */
  has(strategyId: string): Promise<boolean>;
}

const RunningStrategiesSchema = z.array(z.object({ id: z.string() }));

/**
 * The strategies the strategy worker runs (GET /strategies), cached for `ttlMs`. An id missing
 * from the cached list asks again once the list is `refreshAfterMs` old, so a strategy added a
 * moment ago is found, while a flood of forged ids costs at most one call per `refreshAfterMs`.
 * Concurrent lookups share one call; a failed call throws to every waiting lookup.
 */
export class RunningStrategies implements StrategyDirectory {
  private list: { ids: Set<string>; at: number } | null = null;
  private inFlight: Promise<Set<string>> | null = null;

  constructor(
    private readonly strategy: Upstream,
    private readonly options: { ttlMs?: number; refreshAfterMs?: number; now?: () => number } = {},
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private fetch(): Promise<Set<string>> {
    this.inFlight ??= this.strategy
      .getJson("/strategies", RunningStrategiesSchema)
      .then((strategies) => {
        const ids = new Set(strategies.map((s) => s.id));
        this.list = { ids, at: this.now };
        return ids;
      })
      .finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  async has(strategyId: string): Promise<boolean> {
    const age = this.list ? this.now - this.list.at : Infinity;
    if (this.list && age < (this.options.ttlMs ?? 5_000) && (this.list.ids.has(strategyId) || age < (this.options.refreshAfterMs ?? 1_000))) return this.list.ids.has(strategyId);
    return (await this.fetch()).has(strategyId);
  }
}

/** Somewhere an alert is delivered; the name is the `channel` label of tickflow_alerts_sent_total. */
export interface AlertChannel {
  readonly name: string;
  /** Delivers the alert; false when this channel already has it (a redelivered record). */
  send(alert: Alert): Promise<boolean>;
}

/** Keeps alerts for /api/alerts (the local gateway). */
export class StoreChannel implements AlertChannel {
  readonly name = "memory";

  constructor(private readonly store: AlertStore) {}

  async send(alert: Alert): Promise<boolean> {
    return this.store.add(alert);
  }
}

/**
 * Publishes alerts to an SNS topic: a subject for people (email, chat) and the alert as JSON for
 * programs, with the strategy and event type as message attributes for subscription filters.
 * On a FIFO topic the alert id is the deduplication id, so a retried record is not sent twice.
 */
export class SnsChannel implements AlertChannel {
  readonly name = "sns";

  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(alert: Alert): Promise<boolean> {
    const fifo = this.topicArn.endsWith(".fifo");
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `Tickflow: strategy ${alert.strategyId} halted`.slice(0, 100),
        Message: JSON.stringify(alert),
        MessageAttributes: {
          event_type: { DataType: "String", StringValue: "risk.halted" },
          strategy_id: { DataType: "String", StringValue: alert.strategyId },
        },
        ...(fifo ? { MessageGroupId: alert.strategyId, MessageDeduplicationId: alert.id } : {}),
      }),
    );
    return true;
  }
}

/**
 * The SNS channel for a topic: the client talks to the topic's own region (from its ARN, so a
 * local gateway needs no AWS_REGION) and gives up on a stalled connection instead of hanging the batch.
 */
export function snsChannel(topicArn: string): SnsChannel {
  const region = topicArn.split(":")[3];
  return new SnsChannel(new SNSClient({ ...(region ? { region } : {}), requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } }), topicArn);
}
