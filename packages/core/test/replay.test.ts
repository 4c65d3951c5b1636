import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_UNIVERSE,
  detectReplayFormat,
  mergeInstruments,
  parseInstrumentsFile,
  parseReplayCsv,
  ReplayError,
  Universe,
  type ReplayFormat,
} from "../src";

const universe = new Universe();
const header = "symbol,tsEvent,bid,ask,bidSize,askSize";

function parse(text: string) {
  return [...parseReplayCsv(text.split("\n"), universe)];
}

function errorOf(text: string): ReplayError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ReplayError) return error;
    throw error;
  }
  throw new Error("expected a ReplayError");
}

describe("CSV replay", () => {
  it("reads rows into ticks with seq per symbol in file order", () => {
    const ticks = parse(
      [
        header,
        "AAPL,1000,190.01,190.03,100,200",
        "BTC-USD,1000,65000,65001.5,0.5,1",
        "AAPL,1050,190.02,190.04,100,100",
        "",
      ].join("\n"),
    );
    expect(ticks).toEqual([
      { symbol: "AAPL", tsEvent: 1000, tsInit: 1000, bid: 190.01, ask: 190.03, bidSize: 100, askSize: 200, seq: 1 },
      { symbol: "BTC-USD", tsEvent: 1000, tsInit: 1000, bid: 65000, ask: 65001.5, bidSize: 0.5, askSize: 1, seq: 1 },
      { symbol: "AAPL", tsEvent: 1050, tsInit: 1050, bid: 190.02, ask: 190.04, bidSize: 100, askSize: 100, seq: 2 },
    ]);
  });

  it("refuses a price or size off the instrument's grid instead of rounding it", () => {
    // EUR-USD quotes in 0.00001: 1.085004 has a sixth decimal; its size grid is 1000
    expect(errorOf([header, "EUR-USD,1,1.085004,1.08502,1000,1000"].join("\n")).message).toBe(
      "input:2: bid: 1.085004 is not on EUR-USD's price grid (0.00001)",
    );
    expect(errorOf([header, "EUR-USD,1,1.085,1.08502,1500,1000"].join("\n")).message).toBe(
      "input:2: bidSize: 1500 is not on EUR-USD's size grid (1000)",
    );
    // trailing zeros beyond the precision are on the grid
    expect(parse([header, "EUR-USD,1,1.0850000,1.08502,1000,1000"].join("\n"))[0]).toMatchObject({ bid: 1.085 });
  });

  it.each([
    ["a wrong header", "sym,ts,bid,ask,bidSize,askSize\nAAPL,1,1,2,1,1", 1, "header"],
    ["a missing field", `${header}\nAAPL,1,190,190.1,5`, 2, "row"],
    ["an unknown symbol", `${header}\nAAPL,1,190,190.1,5,5\nXYZ,2,1,2,1,1`, 3, "symbol"],
    ["a non-numeric price", `${header}\nAAPL,1,abc,190.1,5,5`, 2, "bid"],
    ["a fractional timestamp", `${header}\nAAPL,1.5,190,190.1,5,5`, 2, "tsEvent"],
    ["time going backwards", `${header}\nAAPL,10,190,190.1,5,5\nAAPL,9,190,190.1,5,5`, 3, "tsEvent"],
    ["a crossed quote", `${header}\nAAPL,1,190.1,190,5,5`, 2, "ask"],
    ["a zero size", `${header}\nAAPL,1,190,190.1,0,5`, 2, "bidSize"],
    ["a price below one increment", `${header}\nAAPL,1,0.001,190.1,1,5`, 2, "bid"],
    ["an empty file", "", 1, "header"],
  ])("stops at %s, naming the line and field", (_what, text, line, field) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^input:${line}: ${field}: `));
  });

  it("yields the rows before a bad one and nothing after it", () => {
    const seen: number[] = [];
    expect(() => {
      for (const tick of parseReplayCsv(
        [header, "AAPL,1,190,190.1,5,5", "AAPL,2,bad,190.1,5,5", "AAPL,3,190,190.1,5,5"],
        universe,
      ))
        seen.push(tick.tsEvent);
    }).toThrow(/^input:3: bid: "bad" is not a number$/);
    expect(seen).toEqual([1]);
  });
});

const fixture = (name: string) => readFileSync(new URL(`./fixtures/replay/${name}`, import.meta.url), "utf8");
const traded = new Universe(
  mergeInstruments(DEFAULT_UNIVERSE, parseInstrumentsFile(fixture("instruments.json"), "instruments.json")),
);
const ticksOf = (name: string, format?: ReplayFormat) => [
  ...parseReplayCsv(fixture(name).split("\n"), traded, { source: name, ...(format ? { format } : {}) }),
];

describe("format detection", () => {
  it.each([
    ["symbol,tsEvent,bid,ask,bidSize,askSize", "tickflow"],
    ["exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount", "tardis"],
    [fixture("databento-mbp-1.csv").split("\n")[0]!, "databento"],
    [fixture("databento-bbo-1s.csv").split("\n")[0]!, "databento"],
    ["symbol,ts,bid,ask", null],
  ])("reads %s as %s", (header, format) => {
    expect(detectReplayFormat(header)).toBe(format);
  });
});

describe("Tardis quotes replay", () => {
  it("maps every row field by field: microseconds cut to ms, seq per symbol, one-sided rows skipped", () => {
    // line 5 has no ask (empty ask_price and ask_amount): skipped, so BTCUSDT's third tick is line 6
    expect(ticksOf("tardis-quotes.csv")).toEqual([
      // timestamp 1704067200012345 us -> 1704067200012 ms; local_timestamp 1704067200013999 us -> ...013 ms
      {
        symbol: "BTCUSDT",
        seq: 1,
        tsEvent: 1704067200012,
        tsInit: 1704067200013,
        bid: 42283.58,
        ask: 42283.59,
        bidSize: 3.004,
        askSize: 1.25,
      },
      {
        symbol: "ETHUSDT",
        seq: 1,
        tsEvent: 1704067200050,
        tsInit: 1704067200051,
        bid: 2281.94,
        ask: 2281.95,
        bidSize: 0.75,
        askSize: 10.5,
      },
      {
        symbol: "BTCUSDT",
        seq: 2,
        tsEvent: 1704067200100,
        tsInit: 1704067200102,
        bid: 42283.58,
        ask: 42283.6,
        bidSize: 2,
        askSize: 0.5,
      },
      {
        symbol: "BTCUSDT",
        seq: 3,
        tsEvent: 1704067200300,
        tsInit: 1704067200301,
        bid: 42283.59,
        ask: 42283.61,
        bidSize: 0.001,
        askSize: 0.25,
      },
    ]);
  });
});

describe("Databento replay", () => {
  const es = (seq: number, tsEvent: number, tsInit: number, bidSize: number, askSize: number) => ({
    symbol: "ESH1",
    seq,
    tsEvent,
    tsInit,
    bid: 3702.25,
    ask: 3702.75,
    bidSize,
    askSize,
  });
  // line 5's ask is UNDEF_PRICE (raw) or empty (pretty_px): the book had no ask, the row is skipped
  const expected = [
    // ts_event 1609113600005871213 ns -> 1609113600005 ms; ts_recv ...006150193 ns -> ...006 ms
    es(1, 1609113600005, 1609113600006, 19, 13),
    es(2, 1609113600062, 1609113600062, 20, 13),
    es(3, 1609113600076, 1609113600076, 20, 14),
  ];

  it("maps MBP-1 with raw prices (integers of 1e-9) and nanosecond timestamps", () => {
    // bid_px_00 3702250000000 * 1e-9 = 3702.25, on ES's 0.25 grid
    expect(ticksOf("databento-mbp-1.csv")).toEqual(expected);
  });

  it("maps MBP-1 written with pretty_px and pretty_ts to the same ticks", () => {
    // 2020-12-28T00:00:00Z is 1609113600 s since the epoch
    expect(ticksOf("databento-mbp-1-pretty.csv")).toEqual(expected);
  });

  it("reads the ISO times older clients wrote through pandas (a space, +00:00) alike", () => {
    const [headerLine, row] = fixture("databento-mbp-1-pretty.csv").split("\n");
    const pandas = row!.replaceAll("T00:00:00", " 00:00:00").replaceAll("Z,", "+00:00,");
    expect(pandas).toMatch(/^2020-12-28 00:00:00\.006150193\+00:00,2020-12-28 00:00:00\.005871213\+00:00,/);
    expect([...parseReplayCsv([headerLine!, pandas], traded)]).toEqual([expected[0]]);
  });

  it("maps BBO-1s with the interval's end (ts_recv) as the event time", () => {
    // 2024-01-02T00:00Z = 1704153600 s; + 14:30:01 (52201 s) = 1704205801 s
    expect(ticksOf("databento-bbo-1s.csv")).toEqual([
      {
        symbol: "AAPL",
        seq: 1,
        tsEvent: 1704205801000,
        tsInit: 1704205801000,
        bid: 187.15,
        ask: 187.16,
        bidSize: 300,
        askSize: 200,
      },
      {
        symbol: "AAPL",
        seq: 2,
        tsEvent: 1704205802000,
        tsInit: 1704205802000,
        bid: 187.14,
        ask: 187.16,
        bidSize: 500,
        askSize: 200,
      },
    ]);
  });
});

describe("malformed rows of the new formats", () => {
  const tardisHeader = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount";
  const tardisRow = (ask = "42283.59", bid = "42283.58", bidAmount = "1", ts = "1704067200012345") =>
    `binance,BTCUSDT,${ts},1704067200013999,1,${ask},${bid},${bidAmount}`;
  const mbpHeader = fixture("databento-mbp-1.csv").split("\n")[0]!;
  const mbpRow = (bid: string, tsEvent = "1609113600005871213") =>
    `1609113600006150193,${tsEvent},1,1,5482,A,B,0,${bid},1,130,26128,145805,${bid},3702750000000,19,13,11,13,ESH1`;
  const prettyRow = (bid: string) =>
    `2020-12-28T00:00:00.006150193Z,2020-12-28T00:00:00.005871213Z,1,1,5482,A,B,0,${bid},1,130,26128,145805,${bid},3702.750000000,19,13,11,13,ESH1`;

  it.each([
    [[tardisHeader, tardisRow("abc")], 'ticks.csv.gz:2: ask_price: "abc" is not a number'],
    [
      [tardisHeader, tardisRow(undefined, "42283.585")],
      "ticks.csv.gz:2: bid_price: 42283.585 is not on BTCUSDT's price grid (0.01)",
    ],
    [
      [tardisHeader, tardisRow(undefined, undefined, "0.0005")],
      "ticks.csv.gz:2: bid_amount: 0.0005 is not on BTCUSDT's size grid (0.001)",
    ],
    [[tardisHeader, tardisRow(undefined, undefined, "0")], "ticks.csv.gz:2: bid_amount: 0 must be positive"],
    [[tardisHeader, tardisRow("42283.58")], "ticks.csv.gz:2: ask_price: ask 42283.58 must be above bid 42283.58"],
    [
      [tardisHeader, tardisRow(undefined, undefined, undefined, "1.7e15")],
      'ticks.csv.gz:2: timestamp: "1.7e15" is not an integer of microseconds since the epoch',
    ],
    [[tardisHeader, "binance,BTCUSDT,1,2,3"], "ticks.csv.gz:2: row: expected 8 fields, got 5"],
    [
      [tardisHeader, tardisRow().replace("BTCUSDT", "DOGEUSDT")],
      /^ticks\.csv\.gz:2: symbol: unknown symbol "DOGEUSDT"; valid symbols: AAPL, /,
    ],
    // 3702.30 is on the cent grid but not on ES's quarter-point grid; ...001 is below a cent
    [
      [mbpHeader, mbpRow("3702300000000")],
      "ticks.csv.gz:2: bid_px_00: 3702300000000 is not on ESH1's price grid (0.25)",
    ],
    [
      [mbpHeader, mbpRow("3702250000001")],
      "ticks.csv.gz:2: bid_px_00: 3702250000001 is not on ESH1's price grid (0.25)",
    ],
    [
      [mbpHeader, mbpRow("3702250000000", "yesterday")],
      'ticks.csv.gz:2: ts_event: "yesterday" is not an integer of nanoseconds or an ISO 8601 UTC time since the epoch',
    ],
    [[mbpHeader, prettyRow("3702.2x")], 'ticks.csv.gz:2: bid_px_00: "3702.2x" is not a number'],
    [
      [mbpHeader, prettyRow("3702.250000000").replace("2020-12-28T00:00:00.005871213Z", "2020-02-30T00:00:00Z")],
      'ticks.csv.gz:2: ts_event: "2020-02-30T00:00:00Z" is not a valid UTC time',
    ],
    [
      [mbpHeader.replace(",symbol", ""), ""],
      'ticks.csv.gz:1: header: no "symbol" column for the databento format (export the CSV with map_symbols)',
    ],
  ])("%j fails with %s", (lines, message) => {
    const run = () => [...parseReplayCsv(lines, traded, { source: "ticks.csv.gz" })];
    expect(run).toThrow(ReplayError);
    expect(run).toThrow(message);
  });

  it("checks the header against a format given explicitly", () => {
    expect(() => [...parseReplayCsv([header], traded, { source: "t.csv", format: "tardis" })]).toThrow(
      't.csv:1: header: no "bid_price" column for the tardis format',
    );
  });
});

describe("instruments file", () => {
  it("reads JSON entries with precisions from the increments and simulation defaults", () => {
    const [btc, , es] = parseInstrumentsFile(fixture("instruments.json"), "instruments.json");
    expect(btc).toMatchObject({
      symbol: "BTCUSDT",
      assetClass: "crypto",
      currency: "USD",
      priceIncrement: 0.01,
      pricePrecision: 2,
      priceIncrementUnits: 1,
      sizeIncrement: 0.001,
      sizePrecision: 3,
      sizeIncrementUnits: 1,
      // 10^(6 - 2 - 3): price units x size units to micros
      notionalToMicros: 10,
      startPrice: 100,
      drift: 0,
      volatility: 0,
      spreadBps: 0,
    });
    // a quarter point: two decimals, 25 units of 0.01
    expect(es).toMatchObject({ assetClass: "equity", pricePrecision: 2, priceIncrementUnits: 25, sizePrecision: 0 });
    expect(es).toMatchObject({ startPrice: 3700, volatility: 0.2 });
  });

  it("reads CSV, where an empty cell takes the default", () => {
    const [btc, es] = parseInstrumentsFile(fixture("instruments.csv"), "instruments.csv");
    expect(btc).toMatchObject({ symbol: "BTCUSDT", assetClass: "crypto", startPrice: 42000, spreadBps: 1 });
    expect(btc).toMatchObject({ pricePrecision: 2, sizePrecision: 3 });
    expect(es).toMatchObject({ symbol: "ESH1", assetClass: "equity", startPrice: 100, priceIncrementUnits: 25 });
  });

  it("merges with the default universe: a known symbol is redefined in place, new ones follow", () => {
    const file = parseInstrumentsFile(
      "symbol,currency,priceIncrement,sizeIncrement\nESH1,USD,0.25,1\nAAPL,USD,0.01,10",
      "i.csv",
    );
    const merged = mergeInstruments(DEFAULT_UNIVERSE, file);
    expect(merged.map((i) => i.symbol)).toEqual([...DEFAULT_UNIVERSE.map((i) => i.symbol), "ESH1"]);
    expect(merged[0]).toMatchObject({ symbol: "AAPL", sizeIncrement: 10 });
  });

  it.each([
    [
      "symbol,currency,priceIncrement,sizeIncrement\nBTCUSDT,USD,abc,1",
      'i.csv:2: priceIncrement: "abc" is not a number',
    ],
    [
      "symbol,currency,priceIncrement,sizeIncrement,colour\nBTCUSDT,USD,0.01,1,red",
      /^i\.csv:1: header: unknown column "colour"; columns: symbol, /,
    ],
    ["symbol,currency,priceIncrement\nBTCUSDT,USD,0.01", /^i\.csv:2: sizeIncrement: /],
    [
      "symbol,currency,priceIncrement,sizeIncrement\nBTCUSDT,USD,0.01,1\nBTCUSDT,USD,0.01,1",
      'i.csv:3: symbol: "BTCUSDT" is defined twice',
    ],
    // 5 + 3 decimals: a notional would not be exact in micros
    [
      "symbol,currency,priceIncrement,sizeIncrement\nBTCUSDT,USD,0.00001,0.001",
      /^i\.csv:2: instrument BTCUSDT: pricePrecision \+ sizePrecision must be at most 6/,
    ],
    [
      '[{"symbol":"btc","currency":"USD","priceIncrement":0.01,"sizeIncrement":1}]',
      "i.csv: instruments[0]: symbol: symbols look like AAPL or BTC-USD",
    ],
    ['{"instruments": 3}', 'i.csv: expected an array of instruments or { "instruments": [...] }'],
    ["[oops", /^i\.csv: not JSON: /],
    ["", "i.csv: no instruments"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseInstrumentsFile(text, "i.csv")).toThrow(ConfigError);
    expect(() => parseInstrumentsFile(text, "i.csv")).toThrow(message);
  });
});
