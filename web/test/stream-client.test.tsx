import { QueryClient } from "@tanstack/react-query";
import { StreamMessageSchema, type StreamMessage } from "@tickflow/gateway/stream-schema";
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CacheApplier, StreamClient, type ParseMessage, type SocketFactory, type SocketLike } from "../src/api/stream";
import { StreamProvider } from "../src/api/stream-provider";
import { getStreamState, resetStreamState, type StreamState } from "../src/api/stream-state";
import { HealthBar } from "../src/components/health-bar";
import { QuotesBoard } from "../src/components/quotes-board";
import { fills, healthy, instruments, quotes, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

/** A WebSocket the test drives: it opens, receives and closes when told. */
class FakeSocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  sent: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
  message(body: unknown): void {
    this.onmessage?.({ data: JSON.stringify(body) });
  }
  /** The server (or the network) ends the connection. */
  drop(code = 1006): void {
    this.onclose?.({ code, reason: "" });
  }
}

/** A socket factory that makes FakeSockets, and the sockets it made, oldest first. */
function fakeSockets(): { sockets: FakeSocket[]; socket: SocketFactory } {
  const sockets: FakeSocket[] = [];
  const socket: SocketFactory = (url, protocols) => {
    const made = new FakeSocket(url, protocols);
    sockets.push(made);
    return made;
  };
  return { sockets, socket };
}

const parse: ParseMessage = (raw) => {
  const parsed = StreamMessageSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
};

const hello = (seq: number, heartbeatMs = 15_000): StreamMessage => ({
  channel: "control",
  type: "hello",
  seq,
  channels: ["quotes", "orders"],
  heartbeatMs,
});

const fillMessage = (seq: number, fillNo = 3) => ({
  seq,
  channel: "orders",
  type: "order.filled",
  id: `sma-crossover:3:fill:${fillNo}`,
  tsEvent: T0 + 1_500,
  data: { ...fills[0]!, fillNo, tsEvent: T0 + 1_500, tsInit: T0 + 1_501 },
});

/** An AAPL quote at 191 / 191.04 (mid 191.02), at stream position `seq`. */
const quoteMessage = (seq: number, id: string) => ({
  seq,
  channel: "quotes",
  type: "quote.tick",
  id,
  tsEvent: T0 + 70_000,
  data: {
    symbol: "AAPL",
    bid: 191,
    ask: 191.04,
    bidSize: 1,
    askSize: 1,
    seq: 2_000,
    tsEvent: T0 + 70_000,
    tsInit: T0 + 70_001,
  },
});

function harness(
  endpoint: ConstructorParameters<typeof StreamClient>[0]["endpoint"] = {
    kind: "local",
    url: "ws://dash.test/api/stream",
  },
) {
  const { sockets, socket } = fakeSockets();
  const states: StreamState[] = [];
  const events: string[] = [];
  const onReload = vi.fn();
  const onDrop = vi.fn();
  const client = new StreamClient({
    endpoint,
    socket,
    parse,
    token: () => "tok-1",
    random: () => 0,
    onEvent: (event) => events.push(event.id),
    onReload,
    onDrop,
    setState: (state) => states.push(state),
  });
  return { client, sockets, states, events, onReload, onDrop, last: () => sockets.at(-1)! };
}

describe("StreamClient: the connection's state machine", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("goes live on hello, sends the token, and reloads once on a first connection", () => {
    const h = harness();
    h.client.start();
    expect(h.last().url).toBe("ws://dash.test/api/stream?access_token=tok-1");
    h.last().message(hello(1_000));
    expect(h.states.at(-1)).toEqual({ status: "live", attempts: 0, detail: null });
    expect(h.onReload).toHaveBeenCalledTimes(1);
    h.client.stop();
  });

  it("drops a duplicate event id, and resumes after a drop from the highest seq seen, with backoff", () => {
    const h = harness();
    h.client.start();
    h.last().message(hello(1_000));
    h.last().message(fillMessage(1_001, 3));
    h.last().message(fillMessage(1_001, 3));
    h.last().message(fillMessage(1_002, 4));
    expect(h.events).toEqual(["sma-crossover:3:fill:3", "sma-crossover:3:fill:4"]);

    // Act: the connection drops
    h.last().drop();

    // Assess: reconnecting, polling takes over, the next attempt in 500 ms
    expect(h.states.at(-1)).toMatchObject({ status: "reconnecting", attempts: 1 });
    expect(h.onDrop).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(499);
    expect(h.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(2);
    expect(new URL(h.last().url).searchParams.get("since")).toBe("1002");

    // the attempt fails, twice: 1 s, then 2 s, and the state says polling after the third failure
    h.last().drop();
    expect(h.states.at(-1)).toMatchObject({ status: "reconnecting", attempts: 2 });
    vi.advanceTimersByTime(1_000);
    expect(h.sockets).toHaveLength(3);
    h.last().drop();
    expect(h.states.at(-1)).toMatchObject({ status: "polling", attempts: 3 });
    vi.advanceTimersByTime(1_999);
    expect(h.sockets).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(4);

    // Act: it comes back, replaying from since
    h.last().message(hello(1_002));
    h.last().message(fillMessage(1_003, 5));

    // Assess: live again, no reload (the replay covers the gap), the drop counted once
    expect(h.states.at(-1)).toEqual({ status: "live", attempts: 0, detail: null });
    expect(h.onReload).toHaveBeenCalledTimes(1);
    expect(h.onDrop).toHaveBeenCalledTimes(1);
    expect(h.events).toEqual(["sma-crossover:3:fill:3", "sma-crossover:3:fill:4", "sma-crossover:3:fill:5"]);
    h.client.stop();
  });

  it("waits at most 30 s between attempts", () => {
    const h = harness();
    h.client.start();
    for (let i = 0; i < 10; i += 1) {
      h.last().drop();
      vi.advanceTimersByTime(30_000);
    }
    expect(h.sockets).toHaveLength(11);
    h.last().drop();
    vi.advanceTimersByTime(29_999);
    expect(h.sockets).toHaveLength(11);
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(12);
    h.client.stop();
  });

  it("reloads on resync and stays live", () => {
    const h = harness();
    h.client.start();
    h.last().message(hello(5));
    h.last().message({ channel: "control", type: "resync", seq: 9, since: 5, reason: "expired" });
    expect(h.onReload).toHaveBeenCalledTimes(2);
    expect(h.states.at(-1)?.status).toBe("live");
    h.client.stop();
  });

  it("cuts a connection that hears nothing for twice the heartbeat, and reconnects", () => {
    const h = harness();
    h.client.start();
    h.last().message(hello(5, 1_000));
    vi.advanceTimersByTime(1_500);
    h.last().message({ channel: "control", type: "heartbeat", seq: 5, ts: T0 });
    vi.advanceTimersByTime(1_999);
    expect(h.states.at(-1)?.status).toBe("live");
    vi.advanceTimersByTime(1);
    expect(h.sockets[0]!.closed).toEqual({ code: 4000, reason: "no heartbeat" });
    expect(h.states.at(-1)).toMatchObject({ status: "reconnecting", attempts: 1 });
    expect(h.onDrop).toHaveBeenCalledTimes(1);
    h.client.stop();
  });

  it("ignores a message the schema refuses", () => {
    const h = harness();
    h.client.start();
    h.last().message(hello(5));
    h.last().message({ ...fillMessage(6), data: { nonsense: true } });
    h.last().onmessage?.({ data: "not json" });
    expect(h.events).toEqual([]);
    h.client.stop();
  });

  it("speaks AppSync Events on AWS: auth in the subprotocol, a subscription per channel, reload on every hello, duplicates dropped", () => {
    const h = harness({
      kind: "appsync",
      url: "wss://x.appsync-realtime-api.eu-west-1.amazonaws.com/event/realtime",
      host: "x.appsync-api.eu-west-1.amazonaws.com",
    });
    h.client.start();
    const socket = h.last();
    expect(socket.protocols?.[0]).toBe("aws-appsync-event-ws");
    const header = socket
      .protocols![1]!.replace(/^header-/, "")
      .replace(/-/g, "+")
      .replace(/_/g, "/");
    expect(JSON.parse(atob(header))).toEqual({ host: "x.appsync-api.eu-west-1.amazonaws.com", Authorization: "tok-1" });
    socket.onopen?.({});
    expect(JSON.parse(socket.sent[0]!)).toEqual({ type: "connection_init" });
    socket.message({ type: "connection_ack", connectionTimeoutMs: 300_000 });
    const subscriptions = socket.sent.slice(1).map((s) => JSON.parse(s) as { id: string; channel: string });
    expect(subscriptions.map((s) => s.channel)).toEqual([
      "/quotes/*",
      "/bars/*",
      "/signals/*",
      "/orders/*",
      "/trades/*",
      "/positions/*",
      "/equity/*",
      "/risk/*",
      "/commands/*",
    ]);
    for (const s of subscriptions) socket.message({ type: "subscribe_success", id: s.id });
    expect(h.states.at(-1)?.status).toBe("live");
    expect(h.onReload).toHaveBeenCalledTimes(1);
    const event = JSON.stringify({ ...fillMessage(0), seq: 0 });
    socket.message({ type: "data", id: subscriptions[3]!.id, event });
    socket.message({ type: "data", id: subscriptions[3]!.id, event });
    expect(h.events).toEqual(["sma-crossover:3:fill:3"]);
    h.client.stop();
  });
});

describe("CacheApplier", () => {
  it("merges a quote into the board's cache, and applies recent events again onto a REST answer that lags", async () => {
    const client = new QueryClient();
    const applier = new CacheApplier(client);
    const unwatch = applier.watch();
    client.setQueryData(["quotes"], quotes);
    applier.receive(parse(quoteMessage(1, "q-1")) as never);
    expect(client.getQueryData<typeof quotes>(["quotes"])![0]!.mid).toBe(191.02);

    // a poll answers the older board: the stream's quote is applied onto it again
    await client.fetchQuery({ queryKey: ["quotes"], queryFn: () => quotes, staleTime: 0 });
    await new Promise((done) => setTimeout(done, 0));
    expect(client.getQueryData<typeof quotes>(["quotes"])![0]!.mid).toBe(191.02);
    unwatch();
  });
});

describe("StreamProvider", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    resetStreamState();
  });

  it("stops the board's polling while live, shows the state, and polls again when the stream drops", async () => {
    const { sockets, socket } = fakeSockets();
    const { calls } = stubApi({
      "/api/quotes": { body: quotes },
      "/api/instruments": { body: instruments },
      "/api/health": { body: healthy },
    });
    const count = () => calls.filter((u) => u.pathname === "/api/quotes").length;
    renderWithClient(
      <StreamProvider parse={parse} socket={socket}>
        <HealthBar />
        <QuotesBoard selected={undefined} onSelect={() => {}} />
      </StreamProvider>,
    );
    const badge = () => screen.getByTestId("stream-state");
    await waitFor(() => expect(sockets).toHaveLength(1));
    expect(badge().dataset.state).toBe("polling");
    await screen.findByRole("button", { name: "AAPL" });

    // Act: hello
    act(() => sockets[0]!.message(hello(10)));
    expect(badge()).toHaveProperty("textContent", "connection live");
    // the first hello reloads once; then no poll for 2.5 s
    await waitFor(() => expect(getStreamState().status).toBe("live"));
    await new Promise((done) => setTimeout(done, 300));
    const after = count();
    await new Promise((done) => setTimeout(done, 2_500));
    expect(count()).toBe(after);

    // Act: a pushed quote moves the board without a request
    act(() => sockets[0]!.message(quoteMessage(10, "q-9")));
    const board = screen.getByRole("region", { name: "Quotes" });
    await waitFor(() => expect(within(board).getByText("191.02")).toBeDefined());
    expect(count()).toBe(after);

    // Act: the stream drops
    act(() => sockets[0]!.drop());

    // Assess: reconnecting, and the board polls again (a refetch now, then every second)
    expect(badge().dataset.state).toBe("reconnecting");
    await waitFor(() => expect(count()).toBeGreaterThanOrEqual(after + 2), { timeout: 2_500 });
  }, 15_000);
});
