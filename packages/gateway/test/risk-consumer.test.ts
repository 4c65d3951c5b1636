import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { EmfMetrics, PrometheusMetrics, type Metrics } from "@tickflow/metrics";
import type { MSKEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AlertStore, snsChannel, StoreChannel } from "../src/alerts";
import { createRiskConsumer, type KafkaBatchResponse } from "../src/risk-consumer";
import { captureEmf } from "./support/emf";
import { context, mskFixture, sample } from "./support/events";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:tickflow-alerts";
const HALT_ID = "mr:1772461867000";
const sns = mockClient(SNSClient);
const logger = pino({ level: "silent" });

beforeEach(() => sns.reset());
afterEach(() => vi.unstubAllEnvs());

function consumer<M extends Metrics = PrometheusMetrics>(metrics: M = new PrometheusMetrics({ service: "gateway" }) as Metrics as M, topic = TOPIC, partialBatchResponses = true) {
  const store = new AlertStore();
  return { store, metrics, handler: createRiskConsumer({ metrics, logger, channels: [new StoreChannel(store), snsChannel(topic)], partialBatchResponses }) };
}

/** The fixture with only some of its topic-partitions, as a redelivery would carry them. */
function only(event: MSKEvent, ...partitions: string[]): MSKEvent {
  return { ...event, records: Object.fromEntries(Object.entries(event.records).filter(([key]) => partitions.includes(key))) };
}

describe("the risk/alerts consumer", () => {
  it("fails the invocation on a bad record when the event source does not read partial batch responses, so nothing is dropped", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "6f0c2d9e-0000-4000-8000-000000000002" });
    const { handler } = consumer(undefined, TOPIC, false);

    await expect(handler(mskFixture(), context())).rejects.toThrow(/1 partition\(s\) failed and this event source does not read partial batch responses/);
    // a batch without failures still succeeds normally
    expect(await handler(only(mskFixture(), "strategy.risk.v1-0"), context())).toEqual({ batchItemFailures: [] });
  });

  it("alerts once for the halt, counts the events, and reports the bad record so its partition is redelivered from it", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "6f0c2d9e-0000-4000-8000-000000000001" });
    const { store, metrics, handler } = consumer();

    const response = await handler(mskFixture(), context());

    expect(response).toEqual<KafkaBatchResponse>({ batchItemFailures: [{ itemIdentifier: { partition: "strategy.orders.v1-2", offset: 33 } }] });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject: "Tickflow: strategy mr halted",
      MessageAttributes: { event_type: { DataType: "String", StringValue: "risk.halted" }, strategy_id: { DataType: "String", StringValue: "mr" } },
    });
    expect(input.MessageGroupId).toBeUndefined();
    expect(JSON.parse(input.Message!)).toEqual({
      id: HALT_ID,
      strategyId: "mr",
      reason: "max-drawdown",
      message: "Strategy mr halted: drawdown 0.31% reached its 0.30% limit (equity 99,690.00, peak 100,000.00)",
      drawdown: 0.0031,
      limit: 0.003,
      equity: 99690,
      peakEquity: 100000,
      tsEvent: 1772461867000,
    });
    expect((await store.recent(10)).map((a) => a.id)).toEqual([HALT_ID]);
    const events = async (type: string) => sample(metrics, "tickflow_risk_events_total", { type });
    expect([await events("risk.halted"), await events("risk.reset"), await events("order.submitted"), await events("order.filled")]).toEqual([1, 1, 1, 1]);
    // the record after the bad one in its partition is left for the redelivery
    expect(await events("order.rejected")).toBeUndefined();
    expect(await events("undecodable")).toBe(1);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { strategy: "mr", channel: "sns" })).toBe(1);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { strategy: "mr", channel: "memory" })).toBe(1);
  });

  it("reports a halt whose SNS publish fails and, when it is redelivered, sends it once more without a duplicate in memory", async () => {
    sns.on(PublishCommand).rejectsOnce(new Error("Throttling: Rate exceeded")).resolves({ MessageId: "6f0c2d9e-0000-4000-8000-000000000002" });
    const { store, metrics, handler } = consumer();

    const first = await handler(only(mskFixture(), "strategy.risk.v1-0", "strategy.orders.v1-1"), context());
    const again = await handler(only(mskFixture(), "strategy.risk.v1-0"), context());

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: { partition: "strategy.risk.v1-0", offset: 17 } }]);
    expect(again.batchItemFailures).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(await store.recent(10)).toHaveLength(1);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { strategy: "mr", channel: "memory" })).toBe(1);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { strategy: "mr", channel: "sns" })).toBe(1);
    // counted once: a failed attempt counts nothing
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "risk.halted" })).toBe(1);
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "order.filled" })).toBe(1);
  });

  it("answers an empty failure list when every record is handled", async () => {
    sns.on(PublishCommand).resolves({});
    const { handler } = consumer();

    expect(await handler(only(mskFixture(), "strategy.risk.v1-0", "strategy.orders.v1-1"), context())).toEqual({ batchItemFailures: [] });
  });

  it("uses the alert id to deduplicate on a FIFO topic", async () => {
    sns.on(PublishCommand).resolves({});
    const { handler } = consumer(undefined, "arn:aws:sns:eu-west-1:123456789012:tickflow-alerts.fifo");

    await handler(only(mskFixture(), "strategy.risk.v1-0"), context());

    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({ MessageGroupId: "mr", MessageDeduplicationId: HALT_ID });
  });

  it("fails the whole invocation on an event that is not from a Kafka event source", async () => {
    const { handler } = consumer();

    await expect(handler({ Records: [] } as unknown as MSKEvent, context())).rejects.toThrow(/not a Kafka event-source event/);
  });

  it("writes its metrics as EMF at the end of the invocation", async () => {
    sns.on(PublishCommand).resolves({});
    const emf = captureEmf();
    try {
      const { handler } = consumer(new EmfMetrics("Tickflow", "gateway"));

      await handler(mskFixture(), context());

      const docs = emf.documents();
      expect(docs).toContainEqual(expect.objectContaining({ service: "gateway", type: "risk.halted", tickflow_risk_events_total: 1 }));
      expect(docs).toContainEqual(expect.objectContaining({ strategy: "mr", channel: "sns", tickflow_alerts_sent_total: 1 }));
    } finally {
      emf.restore();
    }
  });

  it("is wired for Lambda from the environment: EMF metrics and SNS to ALERTS_TOPIC_ARN", async () => {
    sns.on(PublishCommand).resolves({});
    vi.resetModules();
    vi.stubEnv("ALERTS_TOPIC_ARN", TOPIC);
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "tickflow-risk-consumer");
    vi.stubEnv("LOG_LEVEL", "silent");
    vi.stubEnv("KAFKA_REPORT_BATCH_ITEM_FAILURES", "true"); // as the Api stack sets it for provisioned pollers
    const emf = captureEmf();
    try {
      const { handler } = await import("../src/risk-consumer");

      const response = await handler(mskFixture(), context());

      expect(response.batchItemFailures).toHaveLength(1);
      expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([TOPIC]);
      expect(emf.documents()).toContainEqual(expect.objectContaining({ type: "risk.halted", tickflow_risk_events_total: 1 }));
    } finally {
      emf.restore();
    }
  });
});
