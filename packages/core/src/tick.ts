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
