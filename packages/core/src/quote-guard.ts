import { z } from "zod";
import type { Instrument } from "./instrument";
import { MAX_PRICE_UNITS, type QuoteTick } from "./tick";

/**
 * Why a quote is not traded on: the DLQ's `x-error-reason` and the metrics' label. Stable: alerts
 * and dashboards name them. `key-mismatch` is found by the consumer (a Kafka key is no domain
 * notion); every other reason is the engine's verdict.
 */
export const QuoteRejectReasonSchema = z.enum([
  "unknown-symbol",
  "key-mismatch",
  "out-of-range",
  "abnormal-spread",
  "clock-skew",
  "seq-gap",
  "out-of-band",
]);
export type QuoteRejectReason = z.infer<typeof QuoteRejectReasonSchema>;

export interface QuoteRejection {
  reason: QuoteRejectReason;
  detail: string;
}

/** The price checks, which may differ per instrument. */
export const PriceCheckSettingsSchema = z.object({
  /** Largest move of the mid away from the last accepted mid, as a fraction (0.25: 25 %). */
  priceBandPct: z.number().gt(0).max(100).default(0.25),
  /** Widest spread accepted, in basis points of the mid. */
  maxSpreadBps: z.number().positive().max(1_000_000).default(100),
  /**
   * Consecutive out-of-band quotes, each within the band of the one before, after which the
   * market is taken to have moved and the band re-anchors there: a genuine gap must not freeze a
   * symbol for good, while one or a few absurd quotes never reach the engine.
   */
  reanchorAfter: z.number().int().min(1).max(1_000_000).default(20),
});
export type PriceCheckSettings = z.infer<typeof PriceCheckSettingsSchema>;

export const QuoteGuardConfigSchema = PriceCheckSettingsSchema.extend({
  /** Largest gap in `seq` accepted after a symbol's last accepted quote; beyond it one record would make every genuine tick a duplicate. */
  maxSeqGap: z.number().int().min(0).max(1_000_000_000).default(1_000),
  /** How far `tsEvent` may lead `tsInit` (and the consumer's clock, when it gives one): a quote from the future would make every later tick late. */
  maxClockSkewMs: z.number().int().min(0).max(86_400_000).default(10_000),
  /** Per-symbol overrides of the price checks. */
  symbols: z.record(z.string(), PriceCheckSettingsSchema.partial()).default({}),
});
export type QuoteGuardConfig = z.infer<typeof QuoteGuardConfigSchema>;

/** What the guard remembers of a symbol: the last accepted quote, and a run of out-of-band quotes that may be a genuine move. */
export interface GuardedSymbol {
  lastSeq: number;
  /** The last accepted quote's prices in price units; 0 before the first. */
  bidUnits: number;
  askUnits: number;
  /** Out-of-band quotes in a row, each within the band of the previous one, and the last one's bid + ask. */
  bandRun: { count: number; mid2Units: number } | null;
}

export type QuoteVerdict =
  { kind: "accept"; missing: number } | { kind: "duplicate" } | ({ kind: "reject" } & QuoteRejection);

const outside = (mid2: number, reference2: number, band: number) => Math.abs(mid2 / reference2 - 1) > band;
// module-level, not a closure or a fresh object per call: admit runs for every tick
const ACCEPT_IN_SEQUENCE: QuoteVerdict = Object.freeze({ kind: "accept", missing: 0 });
const reject = (reason: QuoteRejectReason, detail: string): QuoteVerdict => ({ kind: "reject", reason, detail });

/** Why a price cannot be marked exactly on the instrument's grid, or null. */
function offGrid(field: "bid" | "ask", price: number, instrument: Instrument): string | null {
  const units = price * instrument.priceScale;
  const rounded = Math.round(units);
  if (rounded > MAX_PRICE_UNITS) return `${field} ${price} is beyond the largest price the engine marks exactly`;
  if (Math.abs(units - rounded) > 1e-6 || rounded % instrument.priceIncrementUnits !== 0)
    return `${field} ${price} is not on ${instrument.symbol}'s ${instrument.priceIncrement} price grid`;
  return null;
}

/**
 * The admission check for one quote against what a symbol's last accepted quote says, before the
 * quote touches any state: prices on the grid and within what exact money arithmetic marks, a sane
 * spread, no event time from the future, a bounded seq gap, and a mid within the instrument's price
 * band of the last accepted one. Pure: the only state it changes is the out-of-band run, and only
 * through `admit`.
 */
export class QuoteGuard {
  private readonly settings = new Map<string, PriceCheckSettings>();

  constructor(readonly config: QuoteGuardConfig) {}

  private priceChecks(symbol: string): PriceCheckSettings {
    let s = this.settings.get(symbol);
    if (!s) this.settings.set(symbol, (s = { ...this.config, ...this.config.symbols[symbol] }));
    return s;
  }

  /**
   * The verdict on `tick` for a symbol in state `state` (updated in place: seq and prices on accept,
   * the out-of-band run on a band rejection). `now` is the consumer's clock, when it has one.
   */
  admit(tick: QuoteTick, instrument: Instrument, state: GuardedSymbol, now?: number): QuoteVerdict {
    const { symbol } = instrument;
    const grid = offGrid("bid", tick.bid, instrument) ?? offGrid("ask", tick.ask, instrument);
    if (grid) return reject("out-of-range", grid);
    const bid = Math.round(tick.bid * instrument.priceScale);
    const ask = Math.round(tick.ask * instrument.priceScale);
    const mid2 = bid + ask;
    const checks = this.priceChecks(symbol);
    const spreadBps = ((ask - bid) * 2 * 10_000) / mid2;
    if (spreadBps > checks.maxSpreadBps)
      return reject(
        "abnormal-spread",
        `spread ${spreadBps.toFixed(1)} bp of the mid exceeds ${symbol}'s ${checks.maxSpreadBps} bp`,
      );
    const skew = this.config.maxClockSkewMs;
    if (tick.tsEvent > tick.tsInit + skew)
      return reject(
        "clock-skew",
        `tsEvent ${tick.tsEvent} is ${tick.tsEvent - tick.tsInit} ms after its tsInit (at most ${skew})`,
      );
    if (now !== undefined && tick.tsEvent > now + skew)
      return reject(
        "clock-skew",
        `tsEvent ${tick.tsEvent} is ${tick.tsEvent - now} ms ahead of this consumer's clock (at most ${skew})`,
      );
    if (tick.seq <= state.lastSeq) return { kind: "duplicate" };
    const missing = state.lastSeq === 0 ? 0 : tick.seq - state.lastSeq - 1;
    if (missing > this.config.maxSeqGap)
      return reject(
        "seq-gap",
        `seq ${tick.seq} skips ${missing} after ${state.lastSeq} (at most ${this.config.maxSeqGap})`,
      );
    const lastMid2 = state.bidUnits + state.askUnits;
    if (lastMid2 > 0 && outside(mid2, lastMid2, checks.priceBandPct)) {
      const run = state.bandRun;
      const count = run && !outside(mid2, run.mid2Units, checks.priceBandPct) ? run.count + 1 : 1;
      if (count < checks.reanchorAfter) {
        state.bandRun = { count, mid2Units: mid2 };
        const move = ((mid2 / lastMid2 - 1) * 100).toFixed(1);
        return reject(
          "out-of-band",
          `mid ${mid2 / 2 / instrument.priceScale} is ${move}% from the last accepted ${lastMid2 / 2 / instrument.priceScale} (band ${checks.priceBandPct * 100}%)`,
        );
      }
    }
    state.bandRun = null;
    state.lastSeq = tick.seq;
    state.bidUnits = bid;
    state.askUnits = ask;
    return missing === 0 ? ACCEPT_IN_SEQUENCE : { kind: "accept", missing };
  }
}
