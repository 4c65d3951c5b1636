import { DEFAULT_UNIVERSE, mergeInstruments, parseInstrumentsFile, Universe } from "@tickflow/core";
import { describe, expect, it } from "vitest";
import { marketDataConfig, type MarketDataConfig } from "../src";
import { ReplayFeed, SimulatedFeed } from "../src/feed";
import { QuoteBook } from "../src/quote-book";

const universe = new Universe();
const config = (env: Record<string, string> = {}): MarketDataConfig =>
  marketDataConfig({ MD_SYMBOLS: "AAPL,BTC-USD", ...env });

describe("simulated feed", () => {
  it("emits one tick per symbol per interval on the wall clock, stamped with the caller's time", () => {
    const feed = new SimulatedFeed(config({ MD_TICKS_PER_SECOND: "10" }), universe);
    const first = feed.next(1_000_000)!;
    expect(first.map((t) => [t.symbol, t.seq, t.tsEvent])).toEqual([
      ["AAPL", 1, 1_000_000],
      ["BTC-USD", 1, 1_000_000],
    ]);
    expect(first[0]).toMatchObject({ bid: 189.99, ask: 190.01 }); // the first tick sits at the start price
    expect(feed.next(1_000_050)).toEqual([]); // the next round is due at +100 ms
    expect(feed.next(1_000_100)!.map((t) => t.seq)).toEqual([2, 2]);
    // 300 ms late: three rounds are due and all are emitted
    expect(feed.next(1_000_400)!.length).toBe(6);
  });

  it("skips rounds after a stall longer than a second instead of backfilling", () => {
    const feed = new SimulatedFeed(config({ MD_TICKS_PER_SECOND: "10" }), universe);
    feed.next(0);
    expect(feed.next(60_000)!.length).toBe(2);
    expect(feed.next(60_100)!.length).toBe(2);
  });

  it("walks a simulated clock from MD_START_TIME and stops after MD_MAX_TICKS", () => {
    const feed = new SimulatedFeed(
      config({ MD_CLOCK: "simulated", MD_START_TIME: "5000", MD_TICKS_PER_SECOND: "0", MD_MAX_TICKS: "5" }),
      universe,
    );
    const ticks = feed.next(123)!;
    expect(ticks.map((t) => [t.symbol, t.tsEvent])).toEqual([
      ["AAPL", 5_050],
      ["BTC-USD", 5_050],
      ["AAPL", 5_100],
      ["BTC-USD", 5_100],
      ["AAPL", 5_150],
    ]);
    expect(feed.next(124)).toBeNull();
  });

  it("resumes a symbol after the last tick on Kafka: seq continues from there", () => {
    const feed = new SimulatedFeed(config({ MD_TICKS_PER_SECOND: "10" }), universe);
    feed.resume({
      symbol: "AAPL",
      seq: 41,
      bid: 200,
      ask: 200.02,
      bidSize: 1,
      askSize: 1,
      tsEvent: 999_900,
      tsInit: 999_900,
    });
    const [aapl, btc] = feed.next(1_000_000)!;
    expect(aapl).toMatchObject({ symbol: "AAPL", seq: 42 });
    expect(Math.abs(aapl!.bid - 200)).toBeLessThan(1);
    expect(btc).toMatchObject({ symbol: "BTC-USD", seq: 1 });
  });
});

describe("replay feed", () => {
  const csv = [
    "symbol,tsEvent,bid,ask,bidSize,askSize",
    "AAPL,1000,100,100.02,1,1",
    "AAPL,1500,100.01,100.03,1,1",
    "AAPL,3000,100.02,100.04,1,1",
  ];

  it("paces rows by their timestamps times the speed", () => {
    const feed = new ReplayFeed(csv, universe, 2);
    expect(feed.next(50_000)!.map((t) => t.seq)).toEqual([1]);
    expect(feed.next(50_200)).toEqual([]);
    expect(feed.next(50_250)!.map((t) => [t.seq, t.tsEvent, t.tsInit])).toEqual([[2, 1_500, 50_250]]);
    expect(feed.next(51_000)!.map((t) => t.seq)).toEqual([3]);
    expect(feed.next(52_000)).toBeNull();
  });

  it("replays as fast as possible at speed 0 and skips what was published before a restart", () => {
    const feed = new ReplayFeed(csv, universe, 0);
    feed.resume({ symbol: "AAPL", seq: 2, bid: 1, ask: 2, bidSize: 1, askSize: 1, tsEvent: 1_500, tsInit: 1_500 });
    expect(feed.next(0)!.map((t) => t.seq)).toEqual([3]);
  });
});

describe("replay feed of traders' formats", () => {
  const traded = new Universe(
    mergeInstruments(
      DEFAULT_UNIVERSE,
      parseInstrumentsFile("symbol,currency,priceIncrement,sizeIncrement\nBTCUSDT,USD,0.01,0.001", "instruments.csv"),
    ),
  );
  const tardis = [
    "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount",
    "binance,BTCUSDT,1704067200000000,1704067200001000,1,42283.59,42283.58,0.5",
    "binance,BTCUSDT,1704067200500999,1704067200502000,1,42283.60,42283.58,0.5",
    "binance,BTCUSDT,1704067200600000,1704067200601000,,,42283.57,0.5", // no ask: skipped
    "binance,BTCUSDT,1704067201000000,1704067201001000,2,42283.61,42283.59,0.25",
  ];

  it("paces a Tardis quotes file by its event timestamps, for a symbol from an instruments file", () => {
    const feed = new ReplayFeed(tardis, traded, 1, { source: "quotes.csv" });
    // the file's 0, 500 and 1,000 ms (500999 us cut to 500 ms) at speed 1, stamped with the wall time
    expect(feed.next(10_000)!.map((t) => [t.seq, t.tsEvent, t.tsInit, t.bid, t.ask])).toEqual([
      [1, 1_704_067_200_000, 10_000, 42283.58, 42283.59],
    ]);
    expect(feed.next(10_499)).toEqual([]);
    expect(feed.next(10_500)!.map((t) => [t.seq, t.tsEvent, t.ask])).toEqual([[2, 1_704_067_200_500, 42283.6]]);
    expect(feed.next(11_000)!.map((t) => [t.seq, t.tsEvent, t.bid, t.bidSize, t.askSize])).toEqual([
      [3, 1_704_067_201_000, 42283.59, 0.25, 2],
    ]);
    expect(feed.next(12_000)).toBeNull();
  });

  it("replays Databento MBP-1 as fast as possible at speed 0", () => {
    const feed = new ReplayFeed(
      [
        "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence,bid_px_00,ask_px_00,bid_sz_00,ask_sz_00,bid_ct_00,ask_ct_00,symbol",
        "1704205800000500000,1704205800000400000,1,2,38,A,B,0,187150000000,100,130,1000,1,187150000000,187160000000,300,200,3,2,AAPL",
        "1704205800002500000,1704205800002400000,1,2,38,A,A,0,187170000000,100,130,1000,2,187150000000,187170000000,300,100,3,1,AAPL",
      ],
      traded,
      0,
      { source: "mbp-1.csv" },
    );
    // 187150000000 x 1e-9 = 187.15; ts_event ...000400000 ns -> ...000 ms
    expect(
      feed.next(5)!.map((t) => [t.symbol, t.seq, t.tsEvent, t.tsInit, t.bid, t.ask, t.bidSize, t.askSize]),
    ).toEqual([
      ["AAPL", 1, 1_704_205_800_000, 5, 187.15, 187.16, 300, 200],
      ["AAPL", 2, 1_704_205_800_002, 5, 187.15, 187.17, 300, 100],
    ]);
  });

  it("stops at a malformed row, naming the file, line and field", () => {
    const feed = new ReplayFeed([...tardis.slice(0, 2), tardis[1]!.replace("42283.59", "42283.595")], traded, 0, {
      source: "quotes.csv",
    });
    expect(() => feed.next(0)).toThrow("quotes.csv:3: ask_price: 42283.595 is not on BTCUSDT's price grid (0.01)");
  });
});

describe("quote book", () => {
  it("tracks the latest quote, the UTC-day open and a bounded history", () => {
    const book = new QuoteBook(universe, 3);
    const day = 86_400_000;
    const q = (seq: number, ts: number, bid: number) => ({
      symbol: "AAPL",
      seq,
      tsEvent: ts,
      tsInit: ts,
      bid,
      ask: bid + 0.02,
      bidSize: 1,
      askSize: 1,
    });
    book.add(q(1, 10 * day + 5, 100));
    for (let i = 2; i <= 10; i++) book.add(q(i, 10 * day + i, 100 + i));
    expect(book.view("AAPL")).toMatchObject({ seq: 10, mid: 110.01, open: 100.01, change: 10, changePct: 9.999 });
    expect(book.history("AAPL", 100).map((t) => t.seq)).toEqual([8, 9, 10]);
    book.add(q(11, 11 * day + 1, 120)); // a new UTC day re-opens
    expect(book.view("AAPL")).toMatchObject({ open: 120.01, change: 0 });
    expect(book.view("MSFT")).toBeNull();
  });
});

describe("configuration", () => {
  it("names the variable that is wrong", () => {
    expect(() => marketDataConfig({ MD_SYMBOLS: "AAPL,NOPE" })).toThrow(
      /MD_SYMBOLS: comma-separated symbols from: AAPL/,
    );
    expect(() => marketDataConfig({ MD_CLOCK: "sundial" })).toThrow(/MD_CLOCK/);
    expect(() => marketDataConfig({ MD_HTTP_PORT: "http" })).toThrow(/MD_HTTP_PORT/);
    expect(() => marketDataConfig({ MD_REPLAY_FORMAT: "parquet" })).toThrow(/MD_REPLAY_FORMAT/);
  });

  it("leaves symbols beyond the default universe to the instruments file", () => {
    const withFile = marketDataConfig({ MD_SYMBOLS: "AAPL,BTCUSDT", MD_INSTRUMENTS_FILE: "instruments.json" });
    expect(withFile).toMatchObject({ MD_SYMBOLS: ["AAPL", "BTCUSDT"], MD_INSTRUMENTS_FILE: "instruments.json" });
    expect(marketDataConfig({ MD_REPLAY_FORMAT: "databento" }).MD_REPLAY_FORMAT).toBe("databento");
  });
});
