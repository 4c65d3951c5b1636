import { z } from "zod";

/**
 * Bounds on what a quote may carry, so every number derived from it (bar volumes, notionals,
 * marks) stays finite and exact: a size of 1e308 passes "positive" and makes a bar's volume
 * Infinity. Prices above MAX_PRICE (a billion) and sizes above MAX_SIZE are no market's.
 */
export const MAX_PRICE = 1e9;
export const MAX_SIZE = 1e9;
/** Event times from the epoch to the end of year 9999, in ms: what a Date can print. */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

export const TimestampSchema = z.number().int().min(0).max(MAX_TIMESTAMP_MS);

/** Best bid and offer for one symbol at one instant. Prices are decimals on the instrument's grid. */
export const QuoteTickSchema = z
  .object({
    symbol: z.string().min(1).max(32),
    bid: z.number().positive().max(MAX_PRICE),
    ask: z.number().positive().max(MAX_PRICE),
    bidSize: z.number().positive().max(MAX_SIZE),
    askSize: z.number().positive().max(MAX_SIZE),
    /** Strictly increasing per symbol with no gaps, starting at 1. */
    seq: z.number().int().positive(),
    /** When the quote happened (ms since epoch). */
    tsEvent: TimestampSchema,
    /** When the system created this object (ms since epoch). */
    tsInit: TimestampSchema,
  })
  .refine((t) => t.ask > t.bid, { message: "ask must be above bid", path: ["ask"] });
export type QuoteTick = z.infer<typeof QuoteTickSchema>;

/**
 * Mid price, computed on the integer price grid so it is the double nearest the exact decimal
 * ((100 + 100.02) / 2 in floats is 100.00999999999999; on the grid it is 100.01).
 */
export function midPrice(tick: Pick<QuoteTick, "bid" | "ask">, priceScale: number): number {
  return (Math.round(tick.bid * priceScale) + Math.round(tick.ask * priceScale)) / (2 * priceScale);
}

/**
 * Largest price the engine accepts, in price units (1e11 is a billion dollars a share on a cent
 * grid): marks and notionals of bounded positions then stay exact integers.
 */
export const MAX_PRICE_UNITS = 1e11;
