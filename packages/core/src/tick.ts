import { z } from "zod";

/** Best bid and offer for one symbol at one instant. Prices are decimals on the instrument's grid. */
export const QuoteTickSchema = z
  .object({
    symbol: z.string().min(1),
    bid: z.number().positive(),
    ask: z.number().positive(),
    bidSize: z.number().positive(),
    askSize: z.number().positive(),
    /** Strictly increasing per symbol with no gaps, starting at 1. */
    seq: z.number().int().positive(),
    /** When the quote happened (ms since epoch). */
    tsEvent: z.number().int(),
    /** When the system created this object (ms since epoch). */
    tsInit: z.number().int(),
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

/**
 * Why a schema-valid quote cannot be traded on, or null: prices off the instrument's grid or
 * beyond what exact money arithmetic can mark. Such a quote belongs in the DLQ, not the engine.
 */
export function quoteProblem(tick: QuoteTick, instrument: { symbol: string; priceScale: number; priceIncrementUnits: number; priceIncrement: number }): string | null {
  for (const [field, price] of [["bid", tick.bid], ["ask", tick.ask]] as const) {
    const units = price * instrument.priceScale;
    const rounded = Math.round(units);
    if (rounded > MAX_PRICE_UNITS) return `${field} ${price} is beyond the largest price the engine marks exactly`;
    if (Math.abs(units - rounded) > 1e-6 || rounded % instrument.priceIncrementUnits !== 0) {
      return `${field} ${price} is not on ${instrument.symbol}'s ${instrument.priceIncrement} price grid`;
    }
  }
  return null;
}
