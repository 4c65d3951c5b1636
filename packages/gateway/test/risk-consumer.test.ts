import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { EmfMetrics, PrometheusMetrics, type Metrics } from "@tickflow/metrics";
import type { MSKEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encodeEvent } from "@tickflow/bus";
import { AlertStore } from "../src/alerts";
import { snsChannel, StoreChannel } from "../src/risk-consumer/channels";
import { createRiskConsumer, type KafkaBatchResponse, type RecordFailure } from "../src/risk-consumer/handler";
import { RunningStrategies, type StrategyDirectory } from "../src/risk-consumer/strategies";
import type { Upstream } from "../src/upstream";
import { captureEmf } from "./support/emf";
import { context, mskFixture, sample } from "./support/events";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:tickflow-alerts";
const HALT_ID = "mr:1772461867000";
const sns = mockClient(SNSClient);
const logger = pino({ level: "silent" });

beforeEach(() => sns.reset());
afterEach(() => vi.unstubAllEnvs());

function consumer<M extends Metrics = PrometheusMetrics>(
  metrics: M = new PrometheusMetrics({ service: "gateway" }) as Metrics as M,
  topic = TOPIC,
  partialBatchResponses = true,
) {
  const store = new AlertStore();
  return {
    store,
    metrics,
    handler: createRiskConsumer({
      metrics,
      logger,
      channels: [new StoreChannel(store), snsChannel(topic)],
      partialBatchResponses,
    }),
  };
}

/** The fixture with only some of its topic-partitions, as a redelivery would carry them. */
function only(event: MSKEvent, ...partitions: string[]): MSKEvent {
  return {
    ...event,
    records: Object.fromEntries(Object.entries(event.records).filter(([key]) => partitions.includes(key))),
  };
}

describe("the risk/alerts consumer", () => {
  it("fails the invocation on a bad record when the event source does not read partial batch responses, so nothing is dropped", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "6f0c2d9e-0000-4000-8000-000000000002" });
    const { handler } = consumer(undefined, TOPIC, false);

    await expect(handler(mskFixture(), context())).rejects.toThrow(
      /1 partition\(s\) failed and this event source does not read partial batch responses/,
    );
    // a batch without failures still succeeds normally
    expect(await handler(only(mskFixture(), "strategy.risk.v1-0"), context())).toEqual({ batchItemFailures: [] });
  });

  it("alerts once for the halt, counts the events, and reports the bad record so its partition is redelivered from it", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "6f0c2d9e-0000-4000-8000-000000000001" });
    const { store, metrics, handler } = consumer();

    const response = await handler(mskFixture(), context());

    expect(response).toEqual<KafkaBatchResponse>({
      batchItemFailures: [{ itemIdentifier: { partition: "strategy.orders.v1-2", offset: 33 } }],
    });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject: "Tickflow: strategy mr halted",
      MessageAttributes: {
        event_type: { DataType: "String", StringValue: "risk.halted" },
        strategy_id: { DataType: "String", StringValue: "mr" },
      },
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
    expect([
      await events("risk.halted"),
      await events("risk.reset"),
      await events("order.submitted"),
      await events("order.filled"),
    ]).toEqual([1, 1, 1, 1]);
    // the record after the bad one in its partition is left for the redelivery
    expect(await events("order.rejected")).toBeUndefined();
    expect(await events("undecodable")).toBe(1);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { strategy: "mr", channel: "sns" })).toBe(1);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { strategy: "mr", channel: "memory" })).toBe(1);
  });

  it("reports a halt whose SNS publish fails and, when it is redelivered, sends it once more without a duplicate in memory", async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(new Error("Throttling: Rate exceeded"))
      .resolves({ MessageId: "6f0c2d9e-0000-4000-8000-000000000002" });
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

    expect(await handler(only(mskFixture(), "strategy.risk.v1-0", "strategy.orders.v1-1"), context())).toEqual({
      batchItemFailures: [],
    });
  });

  it("uses the alert id to deduplicate on a FIFO topic", async () => {
    sns.on(PublishCommand).resolves({});
    const { handler } = consumer(undefined, "arn:aws:sns:eu-west-1:123456789012:tickflow-alerts.fifo");

    await handler(only(mskFixture(), "strategy.risk.v1-0"), context());

    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({
      MessageGroupId: "mr",
      MessageDeduplicationId: HALT_ID,
    });
  });

  it("fails the whole invocation on an event that is not from a Kafka event source", async () => {
    const { handler } = consumer();

    await expect(handler({ Records: [] } as unknown as MSKEvent, context())).rejects.toThrow(
      /not a Kafka event-source event/,
    );
  });

  it("writes its metrics as EMF at the end of the invocation", async () => {
    sns.on(PublishCommand).resolves({});
    const emf = captureEmf();
    try {
      const { handler } = consumer(new EmfMetrics("Tickflow", "gateway"));

      await handler(mskFixture(), context());

      const docs = emf.documents();
      expect(docs).toContainEqual(
        expect.objectContaining({ service: "gateway", type: "risk.halted", tickflow_risk_events_total: 1 }),
      );
      expect(docs).toContainEqual(
        expect.objectContaining({ strategy: "mr", channel: "sns", tickflow_alerts_sent_total: 1 }),
      );
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
      const { handler } = await import("../src/risk-consumer/handler");

      const response = await handler(mskFixture(), context());

      expect(response.batchItemFailures).toHaveLength(1);
      expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([TOPIC]);
      expect(emf.documents()).toContainEqual(
        expect.objectContaining({ type: "risk.halted", tickflow_risk_events_total: 1 }),
      );
    } finally {
      emf.restore();
    }
  });
});

/** A risk.halted as the strategy worker writes it. */
const haltValue = (strategyId: string, tsEvent = 1772461867000) =>
  encodeEvent(
    {
      type: "risk.halted",
      id: `${strategyId}:risk:1`,
      ts: tsEvent,
      data: {
        strategyId,
        reason: "max-drawdown",
        drawdown: 0.0031,
        limit: 0.003,
        equity: 99690,
        peakEquity: 100000,
        tsEvent,
        tsInit: tsEvent + 3,
      },
    },
    "strategy",
  );

/** An MSK event of one topic partition, built by hand: `value` undefined leaves the field out (a tombstone). */
function handBuilt(topic: string, partition: number, records: { offset: number; value?: Buffer | string }[]): MSKEvent {
  return {
    eventSource: "aws:kafka",
    eventSourceArn: "arn:aws:kafka:us-east-1:123456789012:cluster/tickflow-prod/6f2a9c1e",
    bootstrapServers: "b-1.example:9098",
    records: {
      [`${topic}-${partition}`]: records.map(({ offset, value }) => ({
        topic,
        partition,
        offset,
        timestamp: 1772461867004,
        timestampType: "CREATE_TIME",
        key: Buffer.from("k").toString("base64"),
        ...(value === undefined ? {} : { value: typeof value === "string" ? value : value.toString("base64") }),
        headers: [],
      })),
    },
  } as MSKEvent;
}

/** The strategies the worker runs, as a lookup that can also fail (the worker unreachable). */
function directory(ids: string[], failures = 0): StrategyDirectory & { calls: number } {
  let failing = failures;
  return {
    calls: 0,
    async has(id) {
      this.calls += 1;
      if (failing-- > 0) throw new Error("strategy is unreachable (ECONNREFUSED)");
      return ids.includes(id);
    },
  };
}

function checked(strategies: StrategyDirectory) {
  const store = new AlertStore();
  const metrics = new PrometheusMetrics({ service: "gateway" });
  const failures: RecordFailure[] = [];
  const handler = createRiskConsumer({
    metrics,
    logger,
    channels: [new StoreChannel(store), snsChannel(TOPIC)],
    strategies,
    partialBatchResponses: true,
    onRecordFailure: (f) => failures.push(f),
  });
  return { store, metrics, failures, handler };
}

describe("the risk/alerts consumer on records it cannot take", () => {
  it("tells onRecordFailure each reported record's decode reason and real error, without changing the response AWS reads", async () => {
    sns.on(PublishCommand).resolves({});
    const { handler, failures } = checked(directory(["mr"]));

    const response = await handler(mskFixture(), context());

    expect(response).toEqual<KafkaBatchResponse>({
      batchItemFailures: [{ itemIdentifier: { partition: "strategy.orders.v1-2", offset: 33 } }],
    });
    expect(failures).toEqual<RecordFailure[]>([
      {
        partition: "strategy.orders.v1-2",
        topic: "strategy.orders.v1",
        offset: 33,
        reason: "invalid-json",
        message: expect.stringMatching(/^not JSON: /),
      },
    ]);
  });

  it("refuses a halt for a strategy that does not run: reported as unknown-strategy, never alerted, counted once however often it comes back", async () => {
    sns.on(PublishCommand).resolves({});
    const { handler, failures, store, metrics } = checked(directory(["mr"]));
    const forged = handBuilt("strategy.risk.v1", 0, [{ offset: 5, value: haltValue("ghost") }]);

    const first = await handler(forged, context());
    await handler(forged, context());

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: { partition: "strategy.risk.v1-0", offset: 5 } }]);
    expect(failures.map((f) => [f.reason, f.message])).toEqual([
      ["unknown-strategy", 'risk.halted for strategy "ghost", which the strategy worker does not run'],
      ["unknown-strategy", 'risk.halted for strategy "ghost", which the strategy worker does not run'],
    ]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(await store.recent(10)).toEqual([]);
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "unknown-strategy" })).toBe(1);
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "risk.halted" })).toBeUndefined();
  });

  it("reports a halt whose strategy cannot be checked as a failure that may pass, and alerts it once the worker answers", async () => {
    sns.on(PublishCommand).resolves({});
    const { handler, failures, store } = checked(directory(["mr"], 1));
    const halt = handBuilt("strategy.risk.v1", 0, [{ offset: 7, value: haltValue("mr") }]);

    const first = await handler(halt, context());
    const again = await handler(halt, context());

    expect(first.batchItemFailures).toHaveLength(1);
    expect(failures).toEqual([
      expect.objectContaining({ offset: 7, reason: null, message: "strategy is unreachable (ECONNREFUSED)" }),
    ]);
    expect(again.batchItemFailures).toEqual([]);
    expect((await store.recent(10)).map((a) => a.strategyId)).toEqual(["mr"]);
  });

  it("tells a tombstone (no value) from an empty value (zero bytes)", async () => {
    const { handler, failures } = checked(directory([]));

    await handler(handBuilt("strategy.orders.v1", 0, [{ offset: 1 }]), context());
    await handler(handBuilt("strategy.orders.v1", 1, [{ offset: 2, value: "" }]), context());

    expect(failures.map((f) => [f.offset, f.reason])).toEqual([
      [1, "tombstone"],
      [2, "empty"],
    ]);
  });

  it("counts an undecodable record once per record, not once per attempt", async () => {
    const { handler, metrics } = checked(directory([]));
    const junk = handBuilt("strategy.orders.v1", 0, [{ offset: 9, value: Buffer.from("{junk") }]);

    for (let attempt = 0; attempt < 4; attempt++) await handler(junk, context());
    await handler(handBuilt("strategy.orders.v1", 0, [{ offset: 10, value: Buffer.from("{more junk") }]), context());

    expect(await sample(metrics, "tickflow_risk_events_total", { type: "undecodable" })).toBe(2);
  });

  it("reports a failed SNS publish as a failure that may pass, with its error", async () => {
    sns.on(PublishCommand).rejects(new Error("Throttling: Rate exceeded"));
    const { handler, failures } = checked(directory(["mr"]));

    await handler(handBuilt("strategy.risk.v1", 0, [{ offset: 3, value: haltValue("mr") }]), context());

    expect(failures).toEqual([
      {
        partition: "strategy.risk.v1-0",
        topic: "strategy.risk.v1",
        offset: 3,
        reason: null,
        message: "Throttling: Rate exceeded",
      },
    ]);
  });
});

describe("the running strategies", () => {
  const upstream = (answers: (() => Promise<unknown>)[]) => {
    const getJson = vi.fn(async () => (answers.shift() ?? (async () => []))());
    return {
      getJson,
      strategies: (now: () => number) =>
        new RunningStrategies({ getJson } as unknown as Upstream, { ttlMs: 5_000, refreshAfterMs: 1_000, now }),
    };
  };

  it("answers from a short cache, asks again for an unknown id at most once per refresh interval, and shares one call between lookups", async () => {
    let now = 0;
    const { getJson, strategies } = upstream([async () => [{ id: "sma" }], async () => [{ id: "sma" }, { id: "new" }]]);
    const directory = strategies(() => now);

    expect(await Promise.all([directory.has("sma"), directory.has("sma"), directory.has("ghost")])).toEqual([
      true,
      true,
      false,
    ]);
    expect(getJson).toHaveBeenCalledTimes(1);
    now = 500;
    expect(await directory.has("new")).toBe(false); // the list is younger than the refresh interval
    now = 1_500;
    expect(await directory.has("new")).toBe(true); // asked again
    expect(await directory.has("ghost")).toBe(false);
    expect(getJson).toHaveBeenCalledTimes(2);
    expect(getJson).toHaveBeenCalledWith("/strategies", expect.anything());
  });

  it("throws when the worker cannot be asked, so the record is retried and never taken for forged", async () => {
    const { strategies } = upstream([async () => Promise.reject(new Error("strategy is unreachable (ECONNREFUSED)"))]);

    await expect(strategies(() => 0).has("sma")).rejects.toThrow(/unreachable/);
  });
});
