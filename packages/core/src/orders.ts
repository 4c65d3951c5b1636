import { z } from "zod";
import type { Instrument } from "./instrument";
import { MAX_PRICE, MAX_SIZE, TimestampSchema } from "./tick";

export const OrderSideSchema = z.enum(["buy", "sell"]);
export type OrderSide = z.infer<typeof OrderSideSchema>;

export const OrderTypeSchema = z.enum(["market", "limit", "stop", "stop-limit"]);
export type OrderType = z.infer<typeof OrderTypeSchema>;
/** GTC rests until filled or canceled, IOC fills what it can on arrival, FOK all on arrival or nothing, GTD rests until `expireAt` (event time). */
export const TimeInForceSchema = z.enum(["GTC", "IOC", "FOK", "GTD"]);
export type TimeInForce = z.infer<typeof TimeInForceSchema>;
export const LiquiditySchema = z.enum(["maker", "taker"]);
export type Liquidity = z.infer<typeof LiquiditySchema>;

export const RejectReasonSchema = z.enum([
  "max-position",
  "max-gross-notional",
  "strategy-halted",
  /** A paused strategy's own order that would open or add to a position. */
  "strategy-paused",
  "off-grid-price",
  "off-grid-quantity",
  "non-positive-quantity",
  /** Prices its type does not fit, a GTD without expiry, a bracket on the wrong side: the detail says which. */
  "invalid-order",
  "post-only-would-take",
  "reduce-only-no-position",
  /** A cancel or replace of an order that is not working. */
  "unknown-order",
]);
export type RejectReason = z.infer<typeof RejectReasonSchema>;

/**
 * An order as a strategy (or, later, a person) asks for it: decimals on the instrument's grid.
 * The schema checks the shape; `orderSpec` checks it against the instrument and returns the
 * integer form the paper venue works with, or the stable reason it is refused.
 */
export const OrderRequestSchema = z.object({
  symbol: z.string().min(1).max(32),
  side: OrderSideSchema,
  quantity: z.number().max(MAX_SIZE),
  type: OrderTypeSchema,
  timeInForce: TimeInForceSchema.default("GTC"),
  limitPrice: z.number().max(MAX_PRICE).optional(),
  stopPrice: z.number().max(MAX_PRICE).optional(),
  /** GTD only: the event time (ms) it is canceled at. */
  expireAt: TimestampSchema.optional(),
  reduceOnly: z.boolean().default(false),
  postOnly: z.boolean().default(false),
  /** Exits placed once the entry is done, sized to what it filled, one canceling the other. */
  bracket: z
    .object({ takeProfit: z.number().max(MAX_PRICE).optional(), stopLoss: z.number().max(MAX_PRICE).optional() })
    .optional(),
});
export type OrderRequest = z.input<typeof OrderRequestSchema>;

/** A change to a working order: its price or its total quantity. */
export interface OrderChange {
  quantity?: number;
  limitPrice?: number;
  stopPrice?: number;
}

/** An order in the engine's integers: sizes and prices in units, the side as a sign. */
export interface OrderSpec {
  side: 1 | -1;
  /** Total size units. */
  qty: number;
  type: z.infer<typeof OrderTypeSchema>;
  tif: z.infer<typeof TimeInForceSchema>;
  limitUnits: number | null;
  stopUnits: number | null;
  expireAt: number | null;
  reduceOnly: boolean;
  postOnly: boolean;
  takeProfitUnits: number | null;
  stopLossUnits: number | null;
}

export interface OrderRefusal {
  reason: RejectReason;
  detail: string;
}

/** The grid units of a decimal price, or null when the price is not a positive multiple of the increment. */
export function priceOnGrid(price: number, instrument: Instrument): number | null {
  return onGrid(price, instrument.priceScale, instrument.priceIncrementUnits);
}

/** The grid units of a decimal size, or null when it is not a multiple of the size increment. */
export function sizeOnGrid(size: number, instrument: Instrument): number | null {
  return onGrid(size, instrument.sizeScale, instrument.sizeIncrementUnits);
}

function onGrid(x: number, scale: number, increment: number): number | null {
  const units = Math.round(x * scale);
  if (units <= 0 || units % increment !== 0 || Math.abs(units / scale - x) > 1e-9 * Math.max(1, Math.abs(x)))
    return null;
  return units;
}

/**
 * Checks a request against the instrument and itself (prices where its type needs them, a
 * bracket on the right sides of its entry, no post-only that could take) and gives its integer
 * form, or why it cannot be sent. What depends on the account (reduce-only, risk) is the
 * engine's to check.
 */
export function orderSpec(raw: OrderRequest, instrument: Instrument): OrderSpec | OrderRefusal {
  const parsed = OrderRequestSchema.safeParse(raw);
  if (!parsed.success) return invalid(z.prettifyError(parsed.error));
  const r = parsed.data;
  if (!(r.quantity > 0)) return { reason: "non-positive-quantity", detail: `quantity ${r.quantity} is not positive` };
  const qty = sizeOnGrid(r.quantity, instrument);
  if (qty === null)
    return {
      reason: "off-grid-quantity",
      detail: `quantity ${r.quantity} is not a multiple of ${instrument.symbol}'s size increment ${instrument.sizeIncrement}`,
    };
  const needsLimit = r.type === "limit" || r.type === "stop-limit";
  const needsStop = r.type === "stop" || r.type === "stop-limit";
  if (needsLimit !== (r.limitPrice !== undefined))
    return invalid(needsLimit ? `a ${r.type} order needs a limitPrice` : `a ${r.type} order takes no limitPrice`);
  if (needsStop !== (r.stopPrice !== undefined))
    return invalid(needsStop ? `a ${r.type} order needs a stopPrice` : `a ${r.type} order takes no stopPrice`);
  if ((r.timeInForce === "GTD") !== (r.expireAt !== undefined))
    return invalid(r.timeInForce === "GTD" ? "a GTD order needs expireAt" : "only a GTD order takes expireAt");
  if (r.postOnly && (r.type !== "limit" || r.timeInForce === "IOC" || r.timeInForce === "FOK"))
    return invalid("post-only is for a limit order that rests (GTC or GTD)");
  if (r.bracket && r.reduceOnly) return invalid("a reduce-only order cannot open a bracket");
  const price = (p: number | undefined, what: string): number | null | OrderRefusal => {
    if (p === undefined) return null;
    return (
      priceOnGrid(p, instrument) ?? {
        reason: "off-grid-price",
        detail: `${what} ${p} is not a positive multiple of ${instrument.symbol}'s price increment ${instrument.priceIncrement}`,
      }
    );
  };
  const limitUnits = price(r.limitPrice, "limitPrice");
  const stopUnits = price(r.stopPrice, "stopPrice");
  const takeProfitUnits = price(r.bracket?.takeProfit, "takeProfit");
  const stopLossUnits = price(r.bracket?.stopLoss, "stopLoss");
  for (const u of [limitUnits, stopUnits, takeProfitUnits, stopLossUnits]) if (isRefusal(u)) return u;
  const spec: OrderSpec = {
    side: r.side === "buy" ? 1 : -1,
    qty,
    type: r.type,
    tif: r.timeInForce,
    limitUnits: limitUnits as number | null,
    stopUnits: stopUnits as number | null,
    expireAt: r.expireAt ?? null,
    reduceOnly: r.reduceOnly,
    postOnly: r.postOnly,
    takeProfitUnits: takeProfitUnits as number | null,
    stopLossUnits: stopLossUnits as number | null,
  };
  // a bracket's exits sit on either side of where the entry means to fill
  const reference = spec.limitUnits ?? spec.stopUnits;
  if (reference !== null) {
    if (spec.takeProfitUnits !== null && spec.side * (spec.takeProfitUnits - reference) <= 0)
      return invalid("the take-profit must be beyond the entry price, in the trade's favour");
    if (spec.stopLossUnits !== null && spec.side * (spec.stopLossUnits - reference) >= 0)
      return invalid("the stop-loss must be beyond the entry price, against the trade");
  }
  return spec;
}

/** A GTC market order for `qty` signed size units, already on the grid (the engine's own, e.g. a flatten). */
export function marketSpec(qty: number): OrderSpec {
  return {
    side: qty > 0 ? 1 : -1,
    qty: Math.abs(qty),
    type: "market",
    tif: "GTC",
    limitUnits: null,
    stopUnits: null,
    expireAt: null,
    reduceOnly: false,
    postOnly: false,
    takeProfitUnits: null,
    stopLossUnits: null,
  };
}

export function isRefusal(x: unknown): x is OrderRefusal {
  return typeof x === "object" && x !== null && "reason" in x;
}

function invalid(detail: string): OrderRefusal {
  return { reason: "invalid-order", detail };
}
