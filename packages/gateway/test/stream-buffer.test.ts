import { TOPICS } from "@tickflow/bus";
import { describe, expect, it } from "vitest";
import { Conflator, StreamHistory, type ConflationClock, type HistoryEntry } from "../src/local/stream-buffer";
import {
  CHANNEL_EVENTS,
  channelOfType,
  StreamMessageSchema,
  StreamQuerySchema,
  STREAM_CHANNELS,
} from "../src/stream-schema";

const entry = (seq: number): HistoryEntry => ({ seq, channel: "orders", text: `m${seq}` });
const seqs = (r: ReturnType<StreamHistory["since"]>) => (r.kind === "replay" ? r.entries.map((e) => e.seq) : r.kind);

describe("StreamHistory (the resume ring)", () => {
  it("replays exactly what came after since, in order, while the ring reaches back to it", () => {
    const h = new StreamHistory(3, 100);
    expect(seqs(h.since(100))).toEqual([]);
    for (const seq of [101, 102, 103]) h.append(entry(seq));
    expect(seqs(h.since(100))).toEqual([101, 102, 103]);
    expect(seqs(h.since(101))).toEqual([102, 103]);
    expect(seqs(h.since(103))).toEqual([]);
    // 104 evicts 101: a client that saw up to 100 may have lost 101; one that saw 101 has lost nothing
    h.append(entry(104));
    expect(h.floor).toBe(101);
    expect(seqs(h.since(100))).toBe("expired");
    expect(seqs(h.since(101))).toEqual([102, 103, 104]);
    // wrapped twice round the ring
    for (const seq of [105, 106, 107, 108]) h.append(entry(seq));
    expect(h.length).toBe(3);
    expect(h.floor).toBe(105);
    expect(seqs(h.since(104))).toBe("expired");
    expect(seqs(h.since(105))).toEqual([106, 107, 108]);
    expect(seqs(h.since(107))).toEqual([108]);
    // a position from the future (another run of the gateway) is unknown
    expect(seqs(h.since(109))).toBe("unknown");
    // an older base (an earlier run) is expired
    expect(seqs(h.since(5))).toBe("expired");
  });

  it("finds the resume point in a sparse sequence", () => {
    const h = new StreamHistory(10, 0);
    for (const seq of [2, 5, 9, 14]) h.append(entry(seq));
    expect(seqs(h.since(0))).toEqual([2, 5, 9, 14]);
    expect(seqs(h.since(6))).toEqual([9, 14]);
    expect(seqs(h.since(9))).toEqual([14]);
  });

  it("refuses positions that do not increase", () => {
    const h = new StreamHistory(2, 10);
    expect(() => h.append(entry(10))).toThrow(RangeError);
    h.append(entry(11));
    expect(() => h.append(entry(11))).toThrow(RangeError);
  });
});

/** A clock whose time moves only when the test says, running the timers that come due in order. */
class FakeClock implements ConflationClock {
  time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;
  now() {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number) {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advanceTo(time: number) {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= time).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = time;
  }
}

describe("Conflator (quotes per client and symbol)", () => {
  it("sends at most one value per interval per key, and always the latest", () => {
    const clock = new FakeClock();
    const sent: [number, string, number][] = [];
    const c = new Conflator<number>(100, (key, value) => (sent.push([clock.now(), key, value]), true), clock);
    // 200 values of AAPL within 100 ms (one every 0.5 ms): the first at once, the last when the interval ends
    for (let i = 0; i < 200; i++) {
      clock.advanceTo(i * 0.5);
      c.offer("AAPL", i);
    }
    expect(sent).toEqual([[0, "AAPL", 0]]);
    clock.advanceTo(100);
    expect(sent).toEqual([
      [0, "AAPL", 0],
      [100, "AAPL", 199],
    ]);
    // another key is independent
    c.offer("MSFT", 1);
    expect(sent.at(-1)).toEqual([100, "MSFT", 1]);
    // a value after a quiet interval goes out at once
    clock.advanceTo(250);
    c.offer("AAPL", 200);
    expect(sent.at(-1)).toEqual([250, "AAPL", 200]);
    // one within the interval waits until 350, replaced by a newer one meanwhile
    clock.advanceTo(260);
    c.offer("AAPL", 201);
    clock.advanceTo(300);
    c.offer("AAPL", 202);
    expect(c.pending).toBe(1);
    clock.advanceTo(1_000);
    expect(sent.slice(4)).toEqual([[350, "AAPL", 202]]);
    expect(c.pending).toBe(0);
  });

  it("holds a value back while the client cannot take it, then sends the latest", () => {
    const clock = new FakeClock();
    let open = false;
    const sent: [number, number][] = [];
    const c = new Conflator<number>(
      100,
      (_key, value) => {
        if (!open) return false;
        sent.push([clock.now(), value]);
        return true;
      },
      clock,
    );
    c.offer("AAPL", 1);
    clock.advanceTo(50);
    c.offer("AAPL", 2);
    clock.advanceTo(250); // tried at 100 and 200: refused
    expect(sent).toEqual([]);
    open = true;
    c.offer("AAPL", 3);
    clock.advanceTo(300);
    expect(sent).toEqual([[300, 3]]);
  });

  it("sends nothing after close", () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const c = new Conflator<number>(100, (_k, v) => (sent.push(v), true), clock);
    c.offer("AAPL", 1);
    c.offer("AAPL", 2);
    c.close();
    c.offer("AAPL", 3);
    clock.advanceTo(1_000);
    expect(sent).toEqual([1]);
  });
});

describe("the stream schema", () => {
  it("maps every event type to its channel; command.submitted is not streamed", () => {
    expect(channelOfType("quote.tick")).toBe("quotes");
    expect(channelOfType("order.filled")).toBe("orders");
    expect(channelOfType("portfolio.sampled")).toBe("equity");
    expect(channelOfType("command.applied")).toBe("commands");
    expect(channelOfType("command.submitted")).toBeUndefined();
    // a channel is read from the bus topic of the same id (the local stream, the AWS fan-out's mappings)
    for (const channel of STREAM_CHANNELS)
      for (const type of CHANNEL_EVENTS[channel]) expect(TOPICS[channel].events).toContain(type);
  });

  it("parses events by type and control messages, and refuses an event on the wrong channel", () => {
    const quote = {
      channel: "quotes",
      type: "quote.tick",
      id: "AAPL:1",
      tsEvent: 5,
      seq: 7,
      data: { symbol: "AAPL", seq: 1, bid: 100, ask: 100.01, bidSize: 1, askSize: 1, tsEvent: 5, tsInit: 5 },
    };
    expect(StreamMessageSchema.parse(quote)).toEqual(quote);
    expect(StreamMessageSchema.safeParse({ ...quote, channel: "orders" }).success).toBe(false);
    expect(StreamMessageSchema.safeParse({ ...quote, data: { symbol: "AAPL" } }).success).toBe(false);
    const hello = { channel: "control", type: "hello", seq: 3, channels: ["quotes"], heartbeatMs: 15_000 };
    expect(StreamMessageSchema.parse(hello)).toEqual(hello);
    expect(
      StreamMessageSchema.parse({ channel: "control", type: "resync", seq: 3, since: 1, reason: "expired" }),
    ).toMatchObject({ type: "resync" });
  });

  it("reads the query: channels, since, access_token", () => {
    expect(StreamQuerySchema.parse({})).toEqual({ channels: STREAM_CHANNELS });
    expect(StreamQuerySchema.parse({ channels: "quotes,orders,quotes", since: "42" })).toEqual({
      channels: ["quotes", "orders"],
      since: 42,
    });
    for (const bad of [
      { channels: "" },
      { channels: "quotes,dlq" },
      { since: "-1" },
      { since: "1e3" },
      { since: "99999999999999999" },
      { since: "" },
      { other: "x" },
    ])
      expect(StreamQuerySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
