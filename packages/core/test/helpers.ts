import type { QuoteTick } from "../src";

/** A quote showing `size` on both sides (100 unless given); tsInit equals tsEvent. */
export function quote(symbol: string, seq: number, tsEvent: number, bid: number, ask: number, size = 100): QuoteTick {
  return { symbol, seq, tsEvent, tsInit: tsEvent, bid, ask, bidSize: size, askSize: size };
}

/** Builds a stream of quotes for one symbol from [tsEvent, bid, ask] triples, numbering seq from 1. */
export function quotes(symbol: string, rows: [number, number, number][], firstSeq = 1): QuoteTick[] {
  return rows.map(([ts, bid, ask], i) => quote(symbol, firstSeq + i, ts, bid, ask));
}
