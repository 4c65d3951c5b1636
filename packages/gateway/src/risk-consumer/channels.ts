import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { AlertStore } from "../alerts";
import type { Alert } from "../schemas";

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
  return new SnsChannel(
    new SNSClient({
      ...(region ? { region } : {}),
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
    }),
    topicArn,
  );
}
