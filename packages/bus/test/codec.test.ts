import { describe, expect, it } from "vitest";
import { decodeEvent, DecodeError, encodeEvent } from "../src";

const tick = {
  symbol: "AAPL",
  bid: 190.01,
  ask: 190.03,
  bidSize: 100,
  askSize: 200,
  seq: 7,
  tsEvent: 1_000,
  tsInit: 1_001,
};

function reasonOf(value: Buffer | null, accept?: ["quote.tick"]): string {
  try {
    decodeEvent(value, accept);
  } catch (error) {
    if (error instanceof DecodeError) return `${error.reason}: ${error.message}`;
    throw error;
  }
  return "decoded";
}

describe("event codec", () => {
  it("wraps an event in its versioned envelope and reads it back", () => {
    const bytes = encodeEvent({ type: "quote.tick", id: "AAPL:7", ts: 1_000, data: tick }, "market-data");
    expect(JSON.parse(bytes.toString())).toEqual({
      type: "quote.tick",
      version: 1,
      id: "AAPL:7",
      ts: 1_000,
      source: "market-data",
      data: tick,
    });
    expect(decodeEvent(bytes)).toEqual({
      type: "quote.tick",
      version: 1,
      id: "AAPL:7",
      ts: 1_000,
      source: "market-data",
      data: tick,
    });
  });

  it("refuses to publish data that breaks its schema", () => {
    expect(() => encodeEvent({ type: "quote.tick", id: "x", ts: 1, data: { ...tick, ask: 100 } }, "t")).toThrow(
      /refusing to publish invalid quote.tick x: .*ask must be above bid/s,
    );
  });

  it.each([
    [null, /^tombstone: record is a tombstone/],
    [Buffer.alloc(0), /^empty: record value is empty/],
    [Buffer.from("{oops"), /^invalid-json: not JSON/],
    [Buffer.from(JSON.stringify({ type: "quote.tick" })), /^invalid-envelope/],
    [
      Buffer.from(JSON.stringify({ type: "trade.print", version: 1, id: "x", ts: 1, source: "s", data: {} })),
      /^unknown-type: unknown event type "trade.print"/,
    ],
    [
      Buffer.from(JSON.stringify({ type: "quote.tick", version: 2, id: "x", ts: 1, source: "s", data: tick })),
      /^unknown-version: quote.tick version 2 is not supported/,
    ],
    [
      Buffer.from(
        JSON.stringify({ type: "quote.tick", version: 1, id: "x", ts: 1, source: "s", data: { ...tick, seq: -1 } }),
      ),
      /^invalid-data: invalid quote.tick data/,
    ],
  ])("rejects %s with a reason", (value, expected) => {
    expect(reasonOf(value)).toMatch(expected);
  });

  it("rejects an event type the consumer does not expect", () => {
    const signal = encodeEvent(
      { type: "risk.reset", id: "r", ts: 1, data: { strategyId: "s", equity: 1, tsEvent: 1, tsInit: 1 } },
      "t",
    );
    expect(reasonOf(signal, ["quote.tick"])).toMatch(/^unexpected-type: risk.reset is not expected here/);
  });
});
