import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ConfigError, ReplayError } from "@tickflow/core";
import { afterAll, describe, expect, it } from "vitest";
import { loadUniverse, readLinesSync, readReplayFile } from "../src";

const dir = mkdtempSync(join(tmpdir(), "replay-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const tardis = [
  "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount",
  "binance,BTCUSDT,1704067200012345,1704067200013999,1.250,42283.59,42283.58,3.004",
  "binance,BTCUSDT,1704067200100999,1704067200102000,0.5,42283.60,42283.58,2",
].join("\n");
const instruments = file(
  "instruments.csv",
  "symbol,currency,assetClass,priceIncrement,sizeIncrement\nBTCUSDT,USD,crypto,0.01,0.001\n",
);

describe("replay files", () => {
  it("reads a gzip file by its magic bytes, whatever its name, to the same lines as the plain one", () => {
    // 200,000 lines of multi-byte text, about 3 MB: several 1 MiB chunks, characters split across them
    const text = Array.from({ length: 200_000 }, (_, i) => `${i},é€,${"x".repeat(i % 7)}`).join("\n");
    const gz = file("lines.csv", gzipSync(text));
    const plain = file("lines.txt", text);
    const fromGzip = [...readLinesSync(gz)];
    expect(fromGzip).toHaveLength(200_000);
    expect(fromGzip[123_456]).toBe("123456,é€,xxxx");
    expect(fromGzip).toEqual([...readLinesSync(plain)]);
  });

  it("replays a gzip Tardis file into ticks with the instruments file's symbols", () => {
    const universe = loadUniverse(instruments);
    const ticks = [...readReplayFile(file("quotes.csv.gz", gzipSync(tardis)), universe)];
    expect(ticks.map((t) => [t.symbol, t.seq, t.tsEvent, t.tsInit, t.bid, t.ask, t.bidSize, t.askSize])).toEqual([
      ["BTCUSDT", 1, 1704067200012, 1704067200013, 42283.58, 42283.59, 3.004, 1.25],
      ["BTCUSDT", 2, 1704067200100, 1704067200102, 42283.58, 42283.6, 2, 0.5],
    ]);
    // merged: the default universe is still there
    expect(universe.has("AAPL")).toBe(true);
  });

  it("names the file and line of a malformed row inside a gzip file", () => {
    const path = file(
      "bad.csv.gz",
      gzipSync(`${tardis}\nbinance,BTCUSDT,1704067200200000,1704067200201000,1,abc,42283.58,1`),
    );
    expect(() => [...readReplayFile(path, loadUniverse(instruments))]).toThrow(
      `${path}:4: ask_price: "abc" is not a number`,
    );
  });

  it("names the line where a truncated gzip file ends", () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${i * 7919}`).join("\n");
    const path = file("truncated.gz", gzipSync(lines).subarray(0, 20_000));
    let read = 0;
    let error: unknown;
    try {
      for (const _ of readLinesSync(path)) read += 1;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReplayError);
    expect((error as ReplayError).message).toBe(`${path}:${read + 1}: gzip: unexpected end of file`);
    expect(read).toBeGreaterThan(0);
  });

  it("refuses files that do not exist", () => {
    expect(() => readReplayFile(join(dir, "nope.csv"), loadUniverse())).toThrow(ConfigError);
    expect(() => loadUniverse(join(dir, "nope.json"))).toThrow(/instruments file ".*nope\.json" does not exist/);
  });
});
