import { KafkaBus, TOPIC_IDS, type Publisher } from "@tickflow/bus";
import { tickRecord, uniquePrefix, until } from "@tickflow/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalGateway } from "../src/local/adapter";
import type { StreamMessage } from "../src/stream-schema";
import {
  accepted,
  connectStream,
  START as T,
  startStreamGateway,
  type TestStreamClient,
} from "./support/stream-client";

/**
 * Issue 14, the stream locally: a gateway on a real broker fans quotes and order events out to
 * WebSocket clients of /api/stream; a client that reconnects with `since` gets exactly what it
 * missed; a burst of ticks of one symbol is conflated to a few, the last one among them.
 */
const brokers = inject("kafkaBrokers");

let prefix: string;
let bus: KafkaBus;
let publisher: Publisher;
let gateway: LocalGateway;

const orders = (client: TestStreamClient, strategyId: string) =>
  client.messages.filter(
    (m): m is Extract<StreamMessage, { channel: "orders" }> =>
      m.channel === "orders" && m.data.strategyId === strategyId,
  );
const quotes = (client: TestStreamClient, symbol: string) =>
  client.messages.filter(
    (m): m is Extract<StreamMessage, { channel: "quotes" }> => m.channel === "quotes" && m.data.symbol === symbol,
  );
const seqsIncrease = (client: TestStreamClient) => {
  const seqs = client.messages.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
  const events = client.messages.filter((m) => m.channel !== "control" && m.channel !== "quotes").map((m) => m.seq);
  for (let i = 1; i < events.length; i++) expect(events[i]!).toBeGreaterThan(events[i - 1]!);
};

beforeAll(async () => {
  prefix = uniquePrefix("stream");
  bus = new KafkaBus({ clientId: "stream-int", brokers: brokers.split(",") }, prefix);
  await bus.ensureTopics();
  await until("leaders for the new topics", () => Promise.all(TOPIC_IDS.map((t) => bus.offsets(t))), 30_000);
  publisher = await bus.publisher();
  gateway = await startStreamGateway(bus, {
    ALERTS_GROUP_ID: `${prefix}alerts`,
    STREAM_GROUP_ID: `${prefix}stream`,
    STREAM_QUOTES_PER_SECOND: "10",
  });

  // the stream's consumer starts at the latest offsets once its group has its partitions: until
  // then what is published passes it by, so probe both topics until a client sees each
  const probe = await connectStream(gateway.url, "channels=quotes,orders");
  let n = 0;
  await until(
    "the stream's consumer to read quotes and orders",
    async () => {
      n += 1;
      await publisher.publish([tickRecord("PROBE", n, T + n), accepted("probe", n)]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return quotes(probe, "PROBE").length > 0 && orders(probe, "probe").length > 0;
    },
    60_000,
    0,
  );
  await probe.close();
});

afterAll(async () => {
  await gateway?.stop();
  await publisher?.close();
  await bus?.close();
});

describe("the stream at /api/stream", () => {
  it("delivers order events in order, and a client that reconnects with since gets exactly what it missed", async () => {
    const a = await connectStream(gateway.url, "channels=quotes,orders");
    await until("hello", () => a.messages.length > 0);
    expect(a.messages[0]).toMatchObject({ channel: "control", type: "hello", channels: ["quotes", "orders"] });

    await publisher.publish([1, 2, 3, 4, 5].map((n) => accepted("s1", n)));
    await until("the first five orders", () => orders(a, "s1").length === 5);
    expect(orders(a, "s1").map((m) => m.id)).toEqual([1, 2, 3, 4, 5].map((n) => `s1:accepted:${n}`));
    expect(orders(a, "s1").map((m) => m.tsEvent)).toEqual([1, 2, 3, 4, 5].map((n) => T + n));
    expect(orders(a, "s1").every((m) => m.type === "order.accepted")).toBe(true);
    seqsIncrease(a);
    const lastSeen = Math.max(...a.messages.map((m) => m.seq));
    await a.close();
    await until("the gateway to drop the client", () => gateway.stream.clients === 0);

    // while nobody listens: five more, ingested before the client comes back (so they are replayed, not live)
    const before = gateway.stream.seq;
    await publisher.publish([6, 7, 8, 9, 10].map((n) => accepted("s1", n)));
    await until("the gateway to ingest them", () => gateway.stream.seq === before + 5);

    const b = await connectStream(gateway.url, `channels=orders&since=${lastSeen}`);
    await until("the missed orders", () => orders(b, "s1").length >= 5);
    expect(b.messages[0]).toMatchObject({ channel: "control", type: "hello", seq: lastSeen });
    // exactly the missed ones: no gap, no duplicate, nothing else
    const replayed = b.messages.slice(1);
    expect(replayed.map((m) => m.channel === "orders" && m.id)).toEqual(
      [6, 7, 8, 9, 10].map((n) => `s1:accepted:${n}`),
    );
    expect(replayed.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5].map((i) => before + i));

    // then live on the same connection
    await publisher.publish([accepted("s1", 11)]);
    await until("the live order", () => orders(b, "s1").length === 6);
    expect(orders(b, "s1").at(-1)!.id).toBe("s1:accepted:11");
    seqsIncrease(b);
    await b.close();
  });

  it("answers resync to a since the buffer does not hold", async () => {
    const expired = await connectStream(gateway.url, "channels=orders&since=1");
    await until("hello and resync", () => expired.messages.length >= 2);
    expect(expired.messages[1]).toMatchObject({ type: "resync", since: 1, reason: "expired" });
    await expired.close();
    const ahead = gateway.stream.seq + 1_000;
    const unknown = await connectStream(gateway.url, `channels=orders&since=${ahead}`);
    await until("hello and resync", () => unknown.messages.length >= 2);
    expect(unknown.messages[1]).toMatchObject({ type: "resync", since: ahead, reason: "unknown" });
    await unknown.close();
  });

  it("conflates a burst of quotes of one symbol, the last one delivered", async () => {
    const c = await connectStream(gateway.url, "channels=quotes");
    await publisher.publish(Array.from({ length: 200 }, (_, i) => tickRecord("AAPL", i + 1, T + i)));
    await until("the last tick", () => quotes(c, "AAPL").some((m) => m.data.seq === 200));
    const seen = quotes(c, "AAPL").map((m) => m.data.seq);
    // 10 a second: the first at once, the latest at each interval's end (a few, however the batches fall)
    expect(seen.length).toBeLessThan(50);
    expect(seen.at(-1)).toBe(200);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    // only quotes on this connection
    expect(c.messages.every((m) => m.channel === "quotes" || m.channel === "control")).toBe(true);
    seqsIncrease(c);
    await c.close();
  });

  it("reports its consumer in /api/health", async () => {
    const response = await fetch(`${gateway.url}/api/health`);
    const body = (await response.json()) as { consumers?: { name: string; status: string; group: string }[] };
    expect(body.consumers?.find((c) => c.name === "stream")).toMatchObject({
      status: "up",
      group: gateway.stream.groupId,
    });
  });
});
