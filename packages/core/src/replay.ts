import { ReplayError } from "./errors";
import { toPriceUnits, type Instrument, type Universe } from "./instrument";
import type { QuoteTick } from "./tick";

export const REPLAY_COLUMNS = ["symbol", "tsEvent", "bid", "ask", "bidSize", "askSize"] as const;

/**
 * Reads replay CSV lines (`symbol,tsEvent,bid,ask,bidSize,askSize`, header first) into ticks.
 * Prices snap to the instrument's increment; `seq` is assigned per symbol in file order and
 * tsInit equals tsEvent. The first bad row throws a ReplayError naming its line and field, so
 * nothing after it is silently dropped. Blank lines are skipped.
 */
export function* parseReplayCsv(lines: Iterable<string>, universe: Universe): Generator<QuoteTick> {
  const seqs = new Map<string, number>();
  const lastTs = new Map<string, number>();
  let lineNo = 0;
  let header = true;
  for (const raw of lines) {
    lineNo += 1;
    const line = raw.trim();
    if (line === "") continue;
    const cells = line.split(",").map((c) => c.trim());
    if (header) {
      header = false;
      if (cells.join(",") !== REPLAY_COLUMNS.join(",")) {
        throw new ReplayError(lineNo, "header", `expected "${REPLAY_COLUMNS.join(",")}", got "${line}"`);
      }
      continue;
    }
    if (cells.length !== REPLAY_COLUMNS.length) {
      throw new ReplayError(lineNo, "row", `expected ${REPLAY_COLUMNS.length} fields, got ${cells.length}`);
    }
    const [symbol, tsText, bidText, askText, bidSizeText, askSizeText] = cells as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!universe.has(symbol)) {
      throw new ReplayError(
        lineNo,
        "symbol",
        `unknown symbol "${symbol}"; valid symbols: ${universe.symbols.join(", ")}`,
      );
    }
    const instrument = universe.get(symbol);
    const tsEvent = parseNumber(tsText, lineNo, "tsEvent");
    if (!Number.isInteger(tsEvent))
      throw new ReplayError(lineNo, "tsEvent", `"${tsText}" is not an integer of ms since epoch`);
    const previousTs = lastTs.get(symbol);
    if (previousTs !== undefined && tsEvent < previousTs) {
      throw new ReplayError(lineNo, "tsEvent", `${tsEvent} is before the previous ${symbol} tick at ${previousTs}`);
    }
    const bid = snap(parsePositive(bidText, lineNo, "bid"), instrument);
    const ask = snap(parsePositive(askText, lineNo, "ask"), instrument);
    if (bid <= 0)
      throw new ReplayError(lineNo, "bid", `${bidText} is below one price increment (${instrument.priceIncrement})`);
    if (ask <= bid) throw new ReplayError(lineNo, "ask", `ask ${ask} must be above bid ${bid}`);
    const bidSize = parsePositive(bidSizeText, lineNo, "bidSize");
    const askSize = parsePositive(askSizeText, lineNo, "askSize");
    const seq = (seqs.get(symbol) ?? 0) + 1;
    seqs.set(symbol, seq);
    lastTs.set(symbol, tsEvent);
    yield { symbol, bid, ask, bidSize, askSize, seq, tsEvent, tsInit: tsEvent };
  }
  if (header)
    throw new ReplayError(Math.max(lineNo, 1), "header", `empty file; expected "${REPLAY_COLUMNS.join(",")}"`);
}

function parseNumber(text: string, line: number, field: string): number {
  const value = text === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new ReplayError(line, field, `"${text}" is not a number`);
  return value;
}

function parsePositive(text: string, line: number, field: string): number {
  const value = parseNumber(text, line, field);
  if (value <= 0) throw new ReplayError(line, field, `${value} must be positive`);
  return value;
}

function snap(price: number, instrument: Instrument): number {
  const inc = instrument.priceIncrementUnits;
  return (Math.round(toPriceUnits(price, instrument) / inc) * inc) / instrument.priceScale;
}
