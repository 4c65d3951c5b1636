import { ReplayError } from "./errors";
import { fromPriceUnits, fromSizeUnits, type Instrument, type Universe } from "./instrument";
import { MAX_PRICE, MAX_SIZE, MAX_TIMESTAMP_MS, type QuoteTick } from "./tick";

/** Tickflow's own replay CSV. */
export const REPLAY_COLUMNS = ["symbol", "tsEvent", "bid", "ask", "bidSize", "askSize"] as const;
/** Tardis.dev's `quotes` CSV dataset (timestamps in microseconds since the epoch). */
export const TARDIS_QUOTES_COLUMNS = [
  "exchange",
  "symbol",
  "timestamp",
  "local_timestamp",
  "ask_amount",
  "ask_price",
  "bid_price",
  "bid_amount",
] as const;
/** The columns a Databento MBP-1, TBBO or BBO CSV must have (the symbol column needs map_symbols). */
export const DATABENTO_COLUMNS = ["ts_recv", "bid_px_00", "ask_px_00", "bid_sz_00", "ask_sz_00", "symbol"] as const;

export const REPLAY_FORMATS = ["tickflow", "tardis", "databento"] as const;
export type ReplayFormat = (typeof REPLAY_FORMATS)[number];

export interface ReplayOptions {
  /** The file's name as errors print it (`ticks.csv.gz:1234: ask_price: ...`). */
  source?: string;
  /** The format, when not left to the header to tell. */
  format?: ReplayFormat;
}

/** The format a header line announces, or null when it is none of the three. */
export function detectReplayFormat(header: string): ReplayFormat | null {
  const columns = splitHeader(header);
  if (columns.join(",") === REPLAY_COLUMNS.join(",")) return "tickflow";
  if (TARDIS_QUOTES_COLUMNS.every((c) => columns.includes(c))) return "tardis";
  // the symbol column is checked by the layout, so a file without it is told what is missing
  if (DATABENTO_COLUMNS.slice(0, 5).every((c) => columns.includes(c))) return "databento";
  return null;
}

type TimeUnit = "ms" | "us" | "ns";

/** Where one format keeps what a quote needs, and how it writes it. */
interface Layout {
  columns: number;
  symbol: number;
  /** Column indexes and names (errors name the file's own column) of bid, ask, bid size, ask size. */
  fields: readonly [number, number, number, number];
  names: readonly [string, string, string, string];
  tsEvent: number;
  tsInit: number;
  time: TimeUnit;
  /** Databento without pretty_px writes prices as integers of 1e-9. */
  fixedPointPrices: boolean;
  /**
   * A row with no bid or no ask (an empty side of the book: an empty cell, or Databento's
   * UNDEF_PRICE) is skipped, not refused: the venue really quoted one side only, and a QuoteTick
   * needs both. Tickflow's CSV has no such rows, so there an empty cell is an error.
   */
  skipsOneSided: boolean;
}

function layoutOf(format: ReplayFormat, columns: string[], source: string, line: number): Layout {
  const at = (name: string, hint = "") => {
    const index = columns.indexOf(name);
    if (index < 0) throw new ReplayError(source, line, "header", `no "${name}" column for the ${format} format${hint}`);
    return index;
  };
  switch (format) {
    case "tickflow":
      if (columns.join(",") !== REPLAY_COLUMNS.join(","))
        throw new ReplayError(
          source,
          line,
          "header",
          `expected "${REPLAY_COLUMNS.join(",")}", got "${columns.join(",")}"`,
        );
      return {
        columns: columns.length,
        symbol: 0,
        fields: [2, 3, 4, 5],
        names: ["bid", "ask", "bidSize", "askSize"],
        tsEvent: 1,
        tsInit: 1,
        time: "ms",
        fixedPointPrices: false,
        skipsOneSided: false,
      };
    case "tardis":
      return {
        columns: columns.length,
        symbol: at("symbol"),
        fields: [at("bid_price"), at("ask_price"), at("bid_amount"), at("ask_amount")],
        names: ["bid_price", "ask_price", "bid_amount", "ask_amount"],
        tsEvent: at("timestamp"),
        tsInit: at("local_timestamp"),
        time: "us",
        fixedPointPrices: false,
        skipsOneSided: true,
      };
    case "databento": {
      const tsRecv = at("ts_recv");
      // MBP-1 and TBBO rows are book events (an action each): ts_event is when the venue saw the
      // event. BBO rows are samples: ts_recv is the end of the interval, ts_event the last trade's.
      const sampled = !columns.includes("action");
      return {
        columns: columns.length,
        symbol: at("symbol", " (export the CSV with map_symbols)"),
        fields: [at("bid_px_00"), at("ask_px_00"), at("bid_sz_00"), at("ask_sz_00")],
        names: ["bid_px_00", "ask_px_00", "bid_sz_00", "ask_sz_00"],
        tsEvent: sampled ? tsRecv : at("ts_event"),
        tsInit: tsRecv,
        time: "ns",
        fixedPointPrices: true,
        skipsOneSided: true,
      };
    }
  }
}

/**
 * Reads replay CSV lines, header first, into ticks: Tickflow's CSV
 * (`symbol,tsEvent,bid,ask,bidSize,askSize`), Tardis `quotes` or Databento MBP-1/TBBO/BBO, told
 * apart by the header unless `format` says. `seq` counts per symbol in file order from 1;
 * tsEvent is the event time in ms (sub-ms digits truncated) and tsInit the receive time where the
 * format has one. Prices and sizes must lie on the instrument's grid: an off-grid value is an
 * error, not rounded, since it means the instrument's definition and the data disagree. The first
 * bad row throws a ReplayError naming the file, line and field, so nothing after it is silently
 * dropped. Blank lines are skipped, and so are one-sided rows of the Tardis and Databento formats.
 */
export function* parseReplayCsv(
  lines: Iterable<string>,
  universe: Universe,
  options: ReplayOptions = {},
): Generator<QuoteTick> {
  const source = options.source ?? "input";
  const seqs = new Map<string, number>();
  const lastTs = new Map<string, number>();
  let layout: Layout | null = null;
  let lineNo = 0;
  for (const raw of lines) {
    lineNo += 1;
    const line = raw.trim();
    if (line === "") continue;
    if (layout === null) {
      const format = options.format ?? detectReplayFormat(line);
      if (format === null)
        throw new ReplayError(
          source,
          lineNo,
          "header",
          `not a Tickflow, Tardis quotes or Databento MBP-1/BBO header: "${line.slice(0, 200)}"`,
        );
      layout = layoutOf(format, splitHeader(line), source, lineNo);
      continue;
    }
    const cells = line.split(",");
    if (cells.length !== layout.columns)
      throw new ReplayError(source, lineNo, "row", `expected ${layout.columns} fields, got ${cells.length}`);
    const symbol = cells[layout.symbol]!.trim();
    if (!universe.has(symbol)) {
      throw new ReplayError(
        source,
        lineNo,
        "symbol",
        `unknown symbol "${symbol}"; valid symbols: ${universe.symbols.join(", ")} (an instruments file adds others)`,
      );
    }
    const instrument = universe.get(symbol);
    const [bidAt, askAt, bidSizeAt, askSizeAt] = layout.fields;
    const [bidName, askName, bidSizeName, askSizeName] = layout.names;
    const bidText = cells[bidAt]!.trim();
    const askText = cells[askAt]!.trim();
    if (layout.skipsOneSided && (isUndefinedPrice(bidText) || isUndefinedPrice(askText))) continue;
    const at = { source, line: lineNo };
    const tsEvent = timestampMs(cells[layout.tsEvent]!.trim(), layout.time, at, timeName(layout, layout.tsEvent));
    const tsInit =
      layout.tsInit === layout.tsEvent
        ? tsEvent
        : timestampMs(cells[layout.tsInit]!.trim(), layout.time, at, timeName(layout, layout.tsInit));
    const previousTs = lastTs.get(symbol);
    if (previousTs !== undefined && tsEvent < previousTs) {
      throw new ReplayError(
        source,
        lineNo,
        timeName(layout, layout.tsEvent),
        `${tsEvent} is before the previous ${symbol} tick at ${previousTs}`,
      );
    }
    const bidUnits = gridUnits(bidText, "price", instrument, layout.fixedPointPrices, at, bidName);
    const askUnits = gridUnits(askText, "price", instrument, layout.fixedPointPrices, at, askName);
    if (askUnits <= bidUnits)
      throw new ReplayError(source, lineNo, askName, `ask ${askText} must be above bid ${bidText}`);
    const bidSize = gridUnits(cells[bidSizeAt]!.trim(), "size", instrument, false, at, bidSizeName);
    const askSize = gridUnits(cells[askSizeAt]!.trim(), "size", instrument, false, at, askSizeName);
    const seq = (seqs.get(symbol) ?? 0) + 1;
    seqs.set(symbol, seq);
    lastTs.set(symbol, tsEvent);
    yield {
      symbol,
      bid: fromPriceUnits(bidUnits, instrument),
      ask: fromPriceUnits(askUnits, instrument),
      bidSize: fromSizeUnits(bidSize, instrument),
      askSize: fromSizeUnits(askSize, instrument),
      seq,
      tsEvent,
      tsInit,
    };
  }
  if (layout === null) throw new ReplayError(source, Math.max(lineNo, 1), "header", "empty file; expected a header");
}

function splitHeader(line: string): string[] {
  return line
    .replace(/^\uFEFF/, "")
    .split(",")
    .map((c) => c.trim());
}

function timeName(layout: Layout, index: number): string {
  if (layout.time === "ms") return "tsEvent";
  if (layout.time === "us") return index === layout.tsInit ? "local_timestamp" : "timestamp";
  return index === layout.tsInit ? "ts_recv" : "ts_event";
}

/** Databento's UNDEF_PRICE (i64::MAX) raw, an empty cell pretty (and in Tardis): no price on that side. */
function isUndefinedPrice(text: string): boolean {
  return text === "" || text === "9223372036854775807";
}

interface Where {
  source: string;
  line: number;
}

/** ISO 8601 in UTC as Databento's pretty_ts writes it (nanoseconds, `Z`), or pandas (a space, `+00:00`). */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:?00)$/;
const UNIT_DIGITS: Record<TimeUnit, number> = { ms: 0, us: 3, ns: 6 };
const UNIT_NAMES: Record<TimeUnit, string> = {
  ms: "ms",
  us: "microseconds",
  ns: "nanoseconds or an ISO 8601 UTC time",
};

/** Ms since the epoch of an integer count of `unit` (sub-ms digits dropped, exactly: the text is cut, not divided). */
function timestampMs(text: string, unit: TimeUnit, at: Where, field: string): number {
  // the digits before the sub-ms ones, or NaN when the text is not all digits
  let ms = text === "" ? Number.NaN : 0;
  const keep = text.length - UNIT_DIGITS[unit];
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) {
      ms = Number.NaN;
      break;
    }
    if (i < keep) ms = ms * 10 + digit;
  }
  if (Number.isNaN(ms)) {
    const iso = unit === "ns" ? ISO_UTC.exec(text) : null;
    if (!iso)
      throw new ReplayError(
        at.source,
        at.line,
        field,
        `"${text}" is not an integer of ${UNIT_NAMES[unit]} since the epoch`,
      );
    const [, y, mo, d, h, mi, s, fraction = ""] = iso;
    const seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    // Date.UTC rolls 2024-02-30 over into March: a time that does not print back is no time
    if (new Date(seconds).toISOString().slice(0, 19) !== `${y}-${mo}-${d}T${h}:${mi}:${s}`)
      throw new ReplayError(at.source, at.line, field, `"${text}" is not a valid UTC time`);
    ms = seconds + Number(fraction.padEnd(3, "0").slice(0, 3));
  }
  if (!(ms <= MAX_TIMESTAMP_MS)) throw new ReplayError(at.source, at.line, field, `"${text}" is after the year 9999`);
  return ms;
}

/** Databento's raw prices: integers of 1e-9. */
const FIXED_POINT_DECIMALS = 9;
/** decimalUnits' answer for a digit beyond the precision that is not 0. */
const OFF_GRID = -1;

/**
 * `text` as an integer count of 10^-decimals, read digit by digit (never through a float, so
 * exact up to 2^53); `implied` decimals are read into a number written without a point
 * (Databento's raw 1e-9 prices). NaN when the text is not a plain decimal, OFF_GRID when a digit
 * beyond `decimals` is not 0.
 */
function decimalUnits(text: string, decimals: number, implied: number): number {
  const n = text.length;
  if (n === 0) return Number.NaN;
  const dot = text.indexOf(".");
  if (dot === 0 || dot === n - 1) return Number.NaN;
  const fractionStart = dot >= 0 ? dot + 1 : n - implied;
  const wholeEnd = dot >= 0 ? dot : fractionStart;
  let units = 0;
  for (let i = 0; i < wholeEnd; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    units = units * 10 + digit;
  }
  let result = units;
  for (let i = fractionStart; i < n; i++) {
    const digit = i < 0 ? 0 : text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    if (i < fractionStart + decimals) units = units * 10 + digit;
    else if (digit !== 0) result = OFF_GRID;
  }
  for (let k = Math.max(n - fractionStart, 0); k < decimals; k++) units *= 10;
  return result === OFF_GRID ? OFF_GRID : units;
}

/**
 * Integer grid units of a decimal price or size, exactly, refused unless positive, bounded and a
 * multiple of the increment. With `fixedPoint`, an integer is Databento's raw price in 1e-9.
 */
function gridUnits(
  text: string,
  kind: "price" | "size",
  instrument: Instrument,
  fixedPoint: boolean,
  at: Where,
  field: string,
): number {
  const decimals = kind === "price" ? instrument.pricePrecision : instrument.sizePrecision;
  const units = decimalUnits(text, decimals, fixedPoint && !text.includes(".") ? FIXED_POINT_DECIMALS : 0);
  if (Number.isNaN(units)) {
    const value = text === "" ? Number.NaN : Number(text);
    throw new ReplayError(
      at.source,
      at.line,
      field,
      Number.isFinite(value) ? `${text} must be a positive decimal` : `"${text}" is not a number`,
    );
  }
  if (units === OFF_GRID) throw offGrid(text, kind, instrument, at, field);
  if (units <= 0) throw new ReplayError(at.source, at.line, field, `${text} must be positive`);
  const max = kind === "price" ? MAX_PRICE : MAX_SIZE;
  if (units > max * 10 ** decimals) throw new ReplayError(at.source, at.line, field, `${text} is above ${max}`);
  if (units % (kind === "price" ? instrument.priceIncrementUnits : instrument.sizeIncrementUnits) !== 0)
    throw offGrid(text, kind, instrument, at, field);
  return units;
}

function offGrid(text: string, kind: "price" | "size", instrument: Instrument, at: Where, field: string): ReplayError {
  const increment = kind === "price" ? instrument.priceIncrement : instrument.sizeIncrement;
  return new ReplayError(
    at.source,
    at.line,
    field,
    `${text} is not on ${instrument.symbol}'s ${kind} grid (${increment})`,
  );
}
