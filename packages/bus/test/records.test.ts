import { describe, expect, it } from "vitest";
import {
  chunkBySize,
  DLQ_HEADERS,
  DLQ_MAX_KEY_CHARS,
  DLQ_MAX_VALUE_BYTES,
  MAX_REQUEST_BYTES,
  toDlq,
  type BusRecord,
  type OutgoingRecord,
} from "../src";

const record = (
  value: Buffer | null,
  key: string | null = "AAPL",
  headers: Record<string, string> = {},
): BusRecord => ({ topic: "quotes", partition: 2, offset: "41", key, value, headers, timestamp: 0 });
const out = (bytes: number): OutgoingRecord => ({ topic: "dlq", key: null, value: Buffer.alloc(bytes) });

describe("dead letters", () => {
  it("carry the original bytes and key, the original headers, and why and where from", () => {
    const dlq = toDlq(
      record(Buffer.from("{bad"), "AAPL", { "x-trace": "t1" }),
      "md.quotes.v1",
      "invalid-json",
      "not JSON",
      "tickflow-strategy",
    );
    expect(dlq).toEqual({
      topic: "dlq",
      key: "AAPL",
      value: Buffer.from("{bad"),
      headers: {
        "x-trace": "t1",
        [DLQ_HEADERS.error]: "not JSON",
        [DLQ_HEADERS.reason]: "invalid-json",
        [DLQ_HEADERS.sourceTopic]: "md.quotes.v1",
        [DLQ_HEADERS.sourcePartition]: "2",
        [DLQ_HEADERS.sourceOffset]: "41",
        [DLQ_HEADERS.consumerGroup]: "tickflow-strategy",
      },
    });
  });

  it("cut a value or key that would not fit under the broker's size limit with the headers, and say how long it was", () => {
    const big = toDlq(
      record(Buffer.alloc(900 * 1024, 120), "K".repeat(5_000)),
      "md.quotes.v1",
      "invalid-json",
      "e".repeat(5_000),
      "tickflow-strategy",
    );
    expect(big.value!.length).toBe(DLQ_MAX_VALUE_BYTES);
    expect(big.key).toHaveLength(DLQ_MAX_KEY_CHARS);
    expect(big.headers![DLQ_HEADERS.originalSize]).toBe("value 921600 bytes, key 5000 characters");
    expect(big.headers![DLQ_HEADERS.error]).toHaveLength(1_000);
    // the original's headers come along only while they cannot push the record past the limit
    const headers = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`h${i}`, i === 0 ? "v".repeat(2_000) : "v"]),
    );
    expect(
      Object.keys(toDlq(record(Buffer.from("x"), "K", headers), "t", "r", "m", "g").headers!).filter((h) =>
        h.startsWith("h"),
      ),
    ).toHaveLength(32);
  });
});

describe("chunkBySize: produce requests the broker accepts", () => {
  it("keeps records in order in runs of at most MAX_REQUEST_BYTES, a larger record alone", () => {
    const records = [out(200 * 1024), out(200 * 1024), out(200 * 1024), out(700 * 1024), out(10)];
    const chunks = chunkBySize(records);
    expect(chunks.map((c) => c.map((r) => r.value!.length))).toEqual([
      [200 * 1024, 200 * 1024],
      [200 * 1024],
      [700 * 1024],
      [10],
    ]);
    expect(chunks.flat()).toEqual(records);
    expect(MAX_REQUEST_BYTES).toBe(512 * 1024);
  });

  it("counts keys and headers too, and gives nothing for nothing", () => {
    const withHeaders: OutgoingRecord = {
      topic: "dlq",
      key: "k".repeat(100 * 1024),
      value: Buffer.alloc(100 * 1024),
      headers: { h: "v".repeat(100 * 1024) },
    };
    expect(chunkBySize([withHeaders, withHeaders]).map((c) => c.length)).toEqual([1, 1]);
    expect(chunkBySize([])).toEqual([]);
  });
});
