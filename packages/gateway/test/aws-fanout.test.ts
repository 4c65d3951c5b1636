import { encodeEvent } from "@tickflow/bus";
import type { DomainEvent } from "@tickflow/core";
import type { MSKEvent } from "aws-lambda";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  createFanout,
  MAX_EVENTS_PER_PUBLISH,
  PublishError,
  sigV4Publisher,
  type PublishRequest,
} from "../src/stream/aws-fanout";
import { StreamEventMessageSchema, type StreamEventMessage } from "../src/stream-schema";
import { context, mskFixture } from "./support/events";

const logger = pino({ level: "silent" });
const T0 = 1_772_461_867_000;

const quote = (symbol: string, seq: number, bid: number): DomainEvent => ({
  type: "quote.tick",
  id: `${symbol}:${seq}`,
  ts: T0 + seq,
  data: { symbol, bid, ask: bid + 0.02, bidSize: 1, askSize: 1, seq, tsEvent: T0 + seq, tsInit: T0 + seq + 1 },
});

/**
 * The recorded MSK event (test/fixtures/msk-risk-and-orders.json: strategy.risk.v1 and
 * strategy.orders.v1 as the event source sends them) with a md.quotes.v1 partition added in the
 * same shape: three AAPL quotes and one MSFT quote, offsets out of order, plus a record that is no event.
 */
function recordedEvent(): MSKEvent {
  const event = mskFixture();
  const base = Object.values(event.records)[0]![0]!;
  const record = (offset: number, value: Buffer | string, key: string) => ({
    ...base,
    topic: "md.quotes.v1",
    partition: 2,
    offset,
    key: Buffer.from(key).toString("base64"),
    value: Buffer.isBuffer(value) ? value.toString("base64") : Buffer.from(value).toString("base64"),
  });
  event.records["md.quotes.v1-2"] = [
    record(102, encodeEvent(quote("AAPL", 3, 190.3), "market-data"), "AAPL"),
    record(100, encodeEvent(quote("AAPL", 1, 190.1), "market-data"), "AAPL"),
    record(101, encodeEvent(quote("AAPL", 2, 190.2), "market-data"), "AAPL"),
    record(103, encodeEvent(quote("MSFT", 1, 410), "market-data"), "MSFT"),
    record(104, "not json", "AAPL"),
  ];
  return event;
}

function recorder(fail?: (request: PublishRequest, call: number) => Error | undefined) {
  const requests: PublishRequest[] = [];
  let calls = 0;
  const publish = async (request: PublishRequest) => {
    const error = fail?.(request, ++calls);
    if (error) throw error;
    requests.push(request);
  };
  const messages = (channel: string) =>
    requests
      .filter((r) => r.channel === channel)
      .flatMap((r) => r.events.map((e) => StreamEventMessageSchema.parse(JSON.parse(e)) as StreamEventMessage));
  return { publish, requests, messages, calls: () => calls };
}

describe("the AWS stream fan-out", () => {
  it("publishes every event of the recorded batch to its channel, with its id and tsEvent, the latest quote per symbol only", async () => {
    const fake = recorder();
    const handler = createFanout({ publish: fake.publish, logger });

    const summary = await handler(recordedEvent(), context());

    // the fixture: 2 risk events and 4 order records (one of them "{not json"); 5 quote records
    expect(summary).toEqual({ records: 11, published: 7, conflated: 2, skipped: 2, ignored: 0, refused: 0 });
    // conflated: only AAPL's latest (offset 102, seq 3) and MSFT's one quote
    expect(fake.messages("/quotes/AAPL").map((m) => m.id)).toEqual(["AAPL:3"]);
    expect(fake.messages("/quotes/AAPL")[0]).toMatchObject({
      channel: "quotes",
      type: "quote.tick",
      tsEvent: T0 + 3,
      seq: 0,
      data: { symbol: "AAPL", bid: 190.3 },
    });
    expect(fake.messages("/quotes/MSFT").map((m) => m.id)).toEqual(["MSFT:1"]);
    // risk: both events, in offset order, with the event's own tsEvent
    const risk = fake.messages("/risk/all");
    expect(risk.map((m) => m.type)).toEqual(["risk.halted", "risk.reset"]);
    expect(risk.map((m) => m.id)).toEqual(["mr:risk:1", "mr:risk:2"]);
    expect(risk[0]!.tsEvent).toBe(1772461867000);
    // orders are not conflated: every order event of the fixture, the undecodable record skipped
    const orders = fake.messages("/orders/all");
    expect(orders.map((m) => m.type).sort()).toEqual(["order.filled", "order.rejected", "order.submitted"]);
    expect(orders.every((m) => m.channel === "orders")).toBe(true);
    // every request within AppSync's batch limit, every event a JSON string
    for (const r of fake.requests) expect(r.events.length).toBeLessThanOrEqual(MAX_EVENTS_PER_PUBLISH);
  });

  it("splits a channel's events into requests of at most five, in offset order", async () => {
    const event = mskFixture();
    const base = Object.values(event.records)[0]![0]!;
    const resets = Array.from({ length: 12 }, (_, i) => ({
      ...base,
      offset: 10 + i,
      value: encodeEvent(
        {
          type: "risk.reset",
          id: `reset-${i}`,
          ts: T0 + i,
          data: { strategyId: "mr", equity: 100_000, tsEvent: T0 + i, tsInit: T0 + i },
        },
        "strategy",
      ).toString("base64"),
    }));
    const fake = recorder();
    const handler = createFanout({ publish: fake.publish, logger });

    await handler({ ...event, records: { "strategy.risk.v1-0": resets.reverse() } }, context());

    expect(fake.requests.map((r) => r.events.length)).toEqual([5, 5, 2]);
    expect(fake.messages("/risk/all").map((m) => m.id)).toEqual(Array.from({ length: 12 }, (_, i) => `reset-${i}`));
  });

  it("retries a throttled publish, then fails the invocation so the batch is redelivered", async () => {
    const throttled = () => new PublishError("429", 429, true);
    const flaky = recorder((_, call) => (call === 1 ? throttled() : undefined));
    await createFanout({ publish: flaky.publish, logger, backoffMs: 1 })(recordedEvent(), context());
    expect(flaky.messages("/quotes/AAPL")).toHaveLength(1);

    const down = recorder(() => throttled());
    await expect(
      createFanout({ publish: down.publish, logger, backoffMs: 1, attempts: 3, concurrency: 1 })(
        recordedEvent(),
        context(),
      ),
    ).rejects.toThrow("429");
    expect(down.calls()).toBe(3);
  });

  it("skips a request AppSync refuses for good (4xx) and goes on with the others", async () => {
    const fake = recorder((r) => (r.channel === "/risk/all" ? new PublishError("too large", 400, false) : undefined));

    const summary = await createFanout({ publish: fake.publish, logger })(recordedEvent(), context());

    expect(summary.refused).toBe(2);
    expect(fake.messages("/quotes/AAPL")).toHaveLength(1);
  });

  it("refuses an event that is not a Kafka event-source event", async () => {
    const fake = recorder();
    await expect(
      createFanout({ publish: fake.publish, logger })({ nope: true } as unknown as MSKEvent, context()),
    ).rejects.toThrow("not a Kafka event-source event");
  });
});

describe("the SigV4 publisher", () => {
  it("POSTs { channel, events } to https://<domain>/event, signed for appsync in the region", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const fetchStub = (async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return new Response("{}", { status: 200 });
    }) as unknown as typeof fetch;
    const publish = sigV4Publisher({
      httpDomain: "abc123.appsync-api.us-east-1.amazonaws.com",
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token" },
      fetch: fetchStub,
    });

    await publish({ channel: "/quotes/AAPL", events: ['{"id":"AAPL:3"}'] });

    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe("https://abc123.appsync-api.us-east-1.amazonaws.com/event");
    expect(JSON.parse(sent[0]!.init.body as string)).toEqual({ channel: "/quotes/AAPL", events: ['{"id":"AAPL:3"}'] });
    const headers = sent[0]!.init.headers as Record<string, string>;
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/appsync\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers["x-amz-security-token"]).toBe("token");
    expect(headers["x-amz-content-sha256"] ?? headers["x-amz-date"]).toBeDefined();
  });

  it("reports throttling and 5xx as retryable, other 4xx as final", async () => {
    const answering = (status: number) =>
      sigV4Publisher({
        httpDomain: "abc123.appsync-api.us-east-1.amazonaws.com",
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
        fetch: (async () => new Response("no", { status })) as unknown as typeof fetch,
      });
    const failure = async (status: number) =>
      answering(status)({ channel: "/risk/all", events: ["{}"] }).catch((e: unknown) => e as PublishError);

    expect(await failure(429)).toMatchObject({ status: 429, retryable: true });
    expect(await failure(503)).toMatchObject({ status: 503, retryable: true });
    expect(await failure(403)).toMatchObject({ status: 403, retryable: false });
  });
});
