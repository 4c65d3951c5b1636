import type { OutgoingRecord, TopicId } from "@tickflow/bus";
import type { QuoteTick } from "@tickflow/core";

/** A hostile record and the DLQ reason it must end with. */
export interface HostileRecord {
  name: string;
  record: OutgoingRecord;
  reason: string;
}

const envelope = (type: string, data: unknown, version = 1) =>
  Buffer.from(
    JSON.stringify({
      type,
      version,
      id: `hostile-${Math.random().toString(36).slice(2)}`,
      ts: 1,
      source: "attacker",
      data,
    }),
  );
const raw = (topic: TopicId, key: string | null, value: Buffer | null): OutgoingRecord => ({
  topic,
  key,
  value: value as Buffer,
});

/**
 * Records aimed at md.quotes.v1, built from a symbol's last genuine tick so that each one differs
 * from a tradable quote in exactly the way its name says (seq in order, on the grid, fresh time).
 */
export function hostileQuotes(last: QuoteTick, priceScale: number): HostileRecord[] {
  const next = { ...last, seq: last.seq + 1, tsEvent: last.tsEvent + 1, tsInit: last.tsInit + 1 };
  const onGrid = (x: number) => Math.round(x * priceScale) / priceScale;
  const quote = (data: unknown, key: string | null = last.symbol) => raw("quotes", key, envelope("quote.tick", data));
  const tenYears = 10 * 365 * 86_400_000;
  return [
    { name: "not JSON", record: raw("quotes", last.symbol, Buffer.from("{not json")), reason: "invalid-json" },
    // near the broker's 1 MiB limit: its dead letter (with headers) would not fit unless cut
    {
      name: "a 900 KiB record",
      record: raw("quotes", last.symbol, Buffer.alloc(900 * 1024, "{")),
      reason: "invalid-json",
    },
    { name: "an empty value", record: raw("quotes", last.symbol, Buffer.alloc(0)), reason: "empty" },
    { name: "a tombstone", record: raw("quotes", last.symbol, null), reason: "tombstone" },
    {
      name: "an envelope without data",
      record: raw("quotes", last.symbol, Buffer.from('{"type":"quote.tick"}')),
      reason: "invalid-envelope",
    },
    {
      name: "another event type",
      record: raw("quotes", last.symbol, envelope("risk.reset", { strategyId: "x", equity: 1, tsEvent: 1, tsInit: 1 })),
      reason: "unexpected-type",
    },
    {
      name: "an unknown version",
      record: raw("quotes", last.symbol, envelope("quote.tick", next, 99)),
      reason: "unknown-version",
    },
    { name: "sizes of 1e308", record: quote({ ...next, bidSize: 1e308, askSize: 1e308 }), reason: "invalid-data" },
    { name: "an unknown symbol", record: quote({ ...next, symbol: "ZZZZ" }, "ZZZZ"), reason: "unknown-symbol" },
    { name: "a key that is not its symbol", record: quote(next, "NOT-ITS-KEY"), reason: "key-mismatch" },
    { name: "a seq jump of 100,000", record: quote({ ...next, seq: last.seq + 100_000 }), reason: "seq-gap" },
    {
      name: "an event time ten years ahead",
      record: quote({ ...next, tsEvent: next.tsEvent + tenYears, tsInit: next.tsInit + tenYears }),
      reason: "clock-skew",
    },
    {
      name: "ten times the market",
      record: quote({ ...next, bid: onGrid(last.bid * 10), ask: onGrid(last.ask * 10) }),
      reason: "out-of-band",
    },
    {
      name: "ten times the market again",
      record: quote({ ...next, seq: next.seq + 1, bid: onGrid(last.bid * 10), ask: onGrid(last.ask * 10) }),
      reason: "out-of-band",
    },
    { name: "a 20% spread", record: quote({ ...next, ask: onGrid(last.bid * 1.2) }), reason: "abnormal-spread" },
    {
      name: "a price off the grid",
      record: quote({ ...next, bid: last.bid + 0.5 / priceScale }),
      reason: "out-of-range",
    },
  ];
}

/** Records aimed at the risk/alerts consumer's topics. */
export function hostileRiskAndOrders(): HostileRecord[] {
  const halt = {
    strategyId: "no-such-strategy",
    reason: "max-drawdown",
    drawdown: 0.5,
    limit: 0.1,
    equity: 1,
    peakEquity: 2,
    tsEvent: 1,
    tsInit: 1,
  };
  return [
    {
      name: "a forged halt of a strategy that does not exist",
      record: raw("risk", "no-such-strategy", envelope("risk.halted", halt)),
      reason: "unknown-strategy",
    },
    {
      name: "not JSON on the risk topic",
      record: raw("risk", "x", Buffer.from("\u0000\u0001garbage")),
      reason: "invalid-json",
    },
    { name: "a tombstone on the risk topic", record: raw("risk", "x", null), reason: "tombstone" },
    {
      name: "a halt with a drawdown of Infinity",
      record: raw(
        "risk",
        "x",
        Buffer.from(
          JSON.stringify({
            type: "risk.halted",
            version: 1,
            id: "x",
            ts: 1,
            source: "a",
            data: { ...halt, drawdown: "Infinity" },
          }),
        ),
      ),
      reason: "invalid-data",
    },
    {
      name: "a quote on the orders topic",
      record: raw("orders", "x", envelope("quote.tick", { symbol: "AAPL" })),
      reason: "unexpected-type",
    },
    { name: "not JSON on the orders topic", record: raw("orders", "x", Buffer.from("[[[[")), reason: "invalid-json" },
    { name: "an empty value on the orders topic", record: raw("orders", "x", Buffer.alloc(0)), reason: "empty" },
  ];
}
