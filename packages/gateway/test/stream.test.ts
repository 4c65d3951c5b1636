import { connect } from "node:net";
import { MemoryBus, type Publisher } from "@tickflow/bus";
import { tickRecord, until } from "@tickflow/test-support";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from "../src/auth";
import type { LocalGateway } from "../src/local/adapter";
import { STREAM_CLOSE_CODES } from "../src/stream-schema";
import {
  accepted,
  connectStream,
  refusedUpgrade,
  START as T,
  startStreamGateway as start,
  streamUrl,
} from "./support/stream-client";

/** The local stream on the in-memory bus: what it refuses, how it closes, and its resume (the Kafka suite: stream.int.test.ts). */
const SECRET = "s".repeat(40);
const USERS = JSON.stringify([{ username: "vic", password: "viewer-password", role: "viewer" }]);

describe("the stream on the in-memory bus", () => {
  let bus: MemoryBus;
  let publisher: Publisher;
  let gateway: LocalGateway;
  let ws: string;

  beforeAll(async () => {
    bus = new MemoryBus();
    publisher = await bus.publisher();
    gateway = await start(bus, { STREAM_BUFFER_MESSAGES: "4", CORS_ORIGINS: "http://127.0.0.1:8080" });
    ws = streamUrl(gateway.url);
  });
  afterAll(async () => {
    await gateway?.stop();
    await bus?.close();
  });

  it("refuses bad upgrades with problem+json, and tells a plain GET to upgrade", async () => {
    expect(await refusedUpgrade(`${gateway.url.replace(/^http/, "ws")}/api/quotes`)).toEqual({
      status: 400,
      code: "invalid-request",
    });
    for (const query of [
      "since=-1",
      "since=abc",
      "since=1&since=2",
      "channels=quotes,dlq",
      "channels=",
      "limit=5",
      `access_token=${"x".repeat(9_000)}`,
    ])
      expect(await refusedUpgrade(`${ws}?${query}`), query).toMatchObject({ status: 400 });
    expect(await refusedUpgrade(ws, { origin: "https://evil.example" })).toEqual({
      status: 403,
      code: "forbidden-origin",
    });
    const plain = await fetch(`${gateway.url}/api/stream`);
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as { code: string }).code).toBe("upgrade-required");
    // an upgrade without a WebSocket key: ws answers 400 itself
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(gateway.port, "127.0.0.1", () =>
        socket.write("GET /api/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString("latin1")));
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    // and still serves
    const ok = await connectStream(gateway.url, "", { origin: "http://127.0.0.1:8080" });
    await until("hello", () => ok.messages.length > 0);
    await ok.close();
  });

  it("closes a client that sends messages (1003) or a frame over the payload limit (1009)", async () => {
    const chatty = await connectStream(gateway.url);
    chatty.ws.send("hello?");
    expect((await chatty.closed).code).toBe(1003);
    const huge = await connectStream(gateway.url);
    huge.ws.send(Buffer.alloc(64 * 1024, 1));
    expect((await huge.closed).code).toBe(1009);
    const after = await connectStream(gateway.url);
    await until("hello", () => after.messages.length > 0);
    await after.close();
  });

  it("resumes from the ring, answers resync past it, and gives a new client the latest quotes", async () => {
    await publisher.publish([tickRecord("AAPL", 1, T), tickRecord("AAPL", 2, T + 1), tickRecord("MSFT", 1, T)]);
    const base = gateway.stream.seq;
    await publisher.publish([1, 2, 3, 4, 5, 6].map((n) => accepted("s1", n)));
    await until("ingested", () => gateway.stream.seq === base + 6);
    // the ring holds 4: base+3 .. base+6
    const resumed = await connectStream(gateway.url, `channels=orders&since=${base + 2}`);
    await until("the replay", () => resumed.messages.length >= 5);
    expect(resumed.messages.map((m) => m.type)).toEqual(["hello", ...Array<string>(4).fill("order.accepted")]);
    expect(resumed.messages.slice(1).map((m) => m.channel === "orders" && m.id)).toEqual(
      [3, 4, 5, 6].map((n) => `s1:accepted:${n}`),
    );
    await resumed.close();
    const expired = await connectStream(gateway.url, `channels=orders&since=${base + 1}`);
    await until("resync", () => expired.messages.length >= 2);
    expect(expired.messages[1]).toMatchObject({ type: "resync", since: base + 1, reason: "expired", seq: base + 6 });
    await expired.close();
    const fresh = await connectStream(gateway.url, "channels=quotes");
    await until("the latest quotes", () => fresh.messages.length >= 3);
    expect(fresh.messages.slice(1).map((m) => m.channel === "quotes" && `${m.data.symbol}:${m.data.seq}`)).toEqual([
      "AAPL:2",
      "MSFT:1",
    ]);
    await fresh.close();
  });

  it("closes a client that stops reading before an event would be lost (4008)", async () => {
    const small = new MemoryBus();
    const slowGateway = await start(small, { STREAM_MAX_BUFFERED_BYTES: "1024" });
    try {
      const slow = await connectStream(slowGateway.url, "channels=orders");
      await until("hello", () => slow.messages.length > 0);
      // the client reads nothing more: the kernel's buffers fill, then the server's
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const smallPublisher = await small.publisher();
      const padding = "x".repeat(2_000);
      for (let batch = 0; batch < 200; batch++) {
        await smallPublisher.publish(Array.from({ length: 100 }, (_, i) => accepted("s1", batch * 100 + i, padding)));
        if (slowGateway.stream.clients === 0) break;
      }
      await until("the slow client dropped", () => slowGateway.stream.clients === 0);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await slow.closed).code).toBe(STREAM_CLOSE_CODES.slowConsumer);
    } finally {
      await slowGateway.stop();
      await small.close();
    }
  });

  it("holds back a slow client's quotes, then sends each symbol's latest once it has caught up", async () => {
    const small = new MemoryBus();
    // a heartbeat slower than the pause below: a client that reads nothing does not answer pings
    const slowGateway = await start(small, { STREAM_MAX_BUFFERED_BYTES: "1024", STREAM_HEARTBEAT_MS: "5000" });
    try {
      const slow = await connectStream(slowGateway.url, "channels=quotes");
      await until("hello", () => slow.messages.length > 0);
      const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      // 10 quotes a second of 5,000 symbols, 1 MB a second: the kernel's buffers fill, then the server's
      const smallPublisher = await small.publisher();
      const symbols = Array.from({ length: 5_000 }, (_, i) => `S${i}`);
      for (let seq = 1; seq <= 10; seq++) {
        await smallPublisher.publish(symbols.map((symbol) => tickRecord(symbol, seq, T + seq)));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // AAPL's quote goes out (conflated, 100 ms on) while the client is still not reading
      await smallPublisher.publish([tickRecord("AAPL", 999, T + 999)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.resume();
      // the next quote of any symbol sends first what the client missed
      await until("the client has read what was sent", () => slow.messages.length > 5_000);
      await smallPublisher.publish([tickRecord("MSFT", 1, T + 1_000)]);

      await until("MSFT", () => slow.messages.some((m) => m.channel === "quotes" && m.data.symbol === "MSFT"));
      const aapl = slow.messages.filter((m) => m.channel === "quotes" && m.data.symbol === "AAPL");
      expect(aapl.map((m) => m.channel === "quotes" && m.data.seq)).toEqual([999]);
      expect(slowGateway.stream.clients).toBe(1);
      await slow.close();
    } finally {
      await slowGateway.stop();
      await small.close();
    }
  });
});

describe("the stream's auth", () => {
  let bus: MemoryBus;
  let gateway: LocalGateway;

  beforeAll(async () => {
    bus = new MemoryBus();
    gateway = await start(bus, { AUTH_SECRET: SECRET, AUTH_USERS: USERS, AUTH_READS: "token" });
  });
  afterAll(async () => {
    await gateway?.stop();
    await bus?.close();
  });

  it("needs a token where reads do, from the Authorization header or access_token", async () => {
    const ws = streamUrl(gateway.url);
    expect(await refusedUpgrade(ws)).toEqual({ status: 401, code: "unauthenticated" });
    expect(await refusedUpgrade(`${ws}?access_token=not.a.token`)).toEqual({ status: 401, code: "unauthenticated" });
    expect(await refusedUpgrade(ws, { authorization: "Basic abc" })).toEqual({ status: 401, code: "unauthenticated" });
    const login = await fetch(`${gateway.url}/api/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "vic", password: "viewer-password" }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const byQuery = await connectStream(gateway.url, `access_token=${access_token}`);
    await until("hello", () => byQuery.messages.length > 0);
    await byQuery.close();
    const byHeader = await connectStream(gateway.url, "", { authorization: `Bearer ${access_token}` });
    await until("hello", () => byHeader.messages.length > 0);
    await byHeader.close();
  });

  it("closes a connection when its token expires (4401), and counts it", async () => {
    // a token of this gateway's users that expires in 2 s (the token route issues them for at least a minute)
    const expiresAt = Math.floor(Date.now() / 1_000) + 2;
    const token = await new SignJWT({ role: "viewer" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject("vic")
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(new TextEncoder().encode(SECRET));
    const client = await connectStream(gateway.url, `access_token=${token}`);
    await until("hello", () => client.messages.length > 0);

    const { code, reason } = await client.closed;

    expect(code).toBe(STREAM_CLOSE_CODES.tokenExpired);
    expect(reason).toMatch(/token has expired/);
    // not before the token's expiry
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1_000);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^tickflow_stream_disconnects_total\{[^}]*reason="token-expired"[^}]*\} 1$/m);
    // the same token is refused from now on
    expect(await refusedUpgrade(`${streamUrl(gateway.url)}?access_token=${token}`)).toEqual({
      status: 401,
      code: "unauthenticated",
    });
  });
});
