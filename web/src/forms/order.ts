import {
  defineInstrument,
  isRefusal,
  OrderRequestSchema,
  orderSpec,
  priceOnGrid,
  sizeOnGrid,
  type OrderRequest,
  type OrderSide,
  type OrderType,
  type TimeInForce,
} from "@tickflow/core";
import type { OrderChange } from "../api/commands";
import type { Instrument } from "../api/types";

/**
 * The order ticket's checks, before anything is sent: the engine's own. The request is parsed
 * with core's OrderRequestSchema and checked with core's orderSpec against the instrument (its
 * price and size grid, the prices each type needs, GTD's expiry, post-only and bracket rules), so
 * what passes here fails at the engine only for what depends on the account (risk limits,
 * reduce-only without a position). This module brings zod into the page: the ticket and the
 * replace form load it on demand, for traders only.
 */

/** The ticket's inputs as typed: numbers as the text of their inputs, empty when not given. */
export interface OrderForm {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: string;
  limitPrice: string;
  stopPrice: string;
  timeInForce: TimeInForce;
  /** A datetime-local value (local time, "2025-11-26T15:30"); GTD only. */
  expireAt: string;
  takeProfit: string;
  stopLoss: string;
  reduceOnly: boolean;
  postOnly: boolean;
}

/** A ticket field, or "form" for what belongs to no one field. */
export type OrderField = keyof OrderForm | "form";
export type OrderErrors = Partial<Record<OrderField, string>>;

export type OrderCheck = { ok: true; order: OrderRequest } | { ok: false; errors: OrderErrors };

export const needsLimit = (type: OrderType) => type === "limit" || type === "stop-limit";
export const needsStop = (type: OrderType) => type === "stop" || type === "stop-limit";

const LABELS: Record<Exclude<OrderField, "form">, string> = {
  symbol: "Symbol",
  side: "Side",
  type: "Type",
  quantity: "Quantity",
  limitPrice: "Limit price",
  stopPrice: "Stop price",
  timeInForce: "Time in force",
  expireAt: "Expiry",
  takeProfit: "Take profit",
  stopLoss: "Stop loss",
  reduceOnly: "Reduce only",
  postOnly: "Post only",
};

/** A plain decimal: "12", "190.05", ".5"; not "0x10", "1,5" or "12abc". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A number input's value: undefined when empty, NaN when it is not a number. */
function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** Epoch ms of a datetime-local value, in the browser's time zone; NaN when it is none. */
export function parseLocalDateTime(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s).getTime();
}

/**
 * Builds the request the ticket stands for and checks it as the engine will. A field the type
 * does not take (a limit price on a market order, an expiry without GTD) is left out rather than
 * refused: the ticket hides it. `now` is when the ticket is sent: a GTD expiry must be after it.
 */
export function checkOrder(form: OrderForm, instrument: Instrument | undefined, now: number): OrderCheck {
  const errors: OrderErrors = {};
  const number = (field: "quantity" | "limitPrice" | "stopPrice" | "takeProfit" | "stopLoss", needed: boolean) => {
    const value = parseDecimal(form[field]);
    if (value === undefined) {
      if (needed) errors[field] = `${LABELS[field]} is required`;
      return undefined;
    }
    if (Number.isNaN(value)) errors[field] = `${LABELS[field]} must be a number`;
    else if (value <= 0) errors[field] = `${LABELS[field]} must be positive`;
    return value;
  };
  if (form.symbol === "") errors.symbol = "Choose a symbol";
  const quantity = number("quantity", true);
  const limitPrice = needsLimit(form.type) ? number("limitPrice", true) : undefined;
  const stopPrice = needsStop(form.type) ? number("stopPrice", true) : undefined;
  const takeProfit = number("takeProfit", false);
  const stopLoss = number("stopLoss", false);
  let expireAt: number | undefined;
  if (form.timeInForce === "GTD") {
    expireAt = parseLocalDateTime(form.expireAt);
    if (expireAt === undefined) errors.expireAt = "A GTD order needs an expiry";
    else if (Number.isNaN(expireAt)) errors.expireAt = "Expiry must be a date and time";
    else if (expireAt <= now) errors.expireAt = "Expiry must be in the future";
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const raw: OrderRequest = {
    symbol: form.symbol,
    side: form.side,
    quantity: quantity!,
    type: form.type,
    timeInForce: form.timeInForce,
    ...(limitPrice === undefined ? {} : { limitPrice }),
    ...(stopPrice === undefined ? {} : { stopPrice }),
    ...(expireAt === undefined ? {} : { expireAt }),
    reduceOnly: form.reduceOnly,
    postOnly: form.postOnly,
    ...(takeProfit === undefined && stopLoss === undefined
      ? {}
      : {
          bracket: {
            ...(takeProfit === undefined ? {} : { takeProfit }),
            ...(stopLoss === undefined ? {} : { stopLoss }),
          },
        }),
  };
  const parsed = OrderRequestSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOfPath(issue.path);
      errors[field] ??= field === "form" ? issue.message : `${LABELS[field]}: ${issue.message}`;
    }
    return { ok: false, errors };
  }
  const order: OrderRequest = parsed.data;
  if (instrument === undefined) return { ok: false, errors: { symbol: `${form.symbol} is not a known instrument` } };
  const spec = orderSpec(order, defineInstrument(instrument));
  if (isRefusal(spec)) return { ok: false, errors: { [refusalField(spec.reason, spec.detail)]: spec.detail } };
  return { ok: true, order };
}

function fieldOfPath(path: readonly PropertyKey[]): OrderField {
  const [first, second] = path;
  if (first === "bracket") return second === "stopLoss" ? "stopLoss" : "takeProfit";
  return typeof first === "string" && first in LABELS ? (first as OrderField) : "form";
}

/** The ticket field an engine refusal points at: its reason, or what its detail names. */
function refusalField(reason: string, detail: string): OrderField {
  if (reason === "off-grid-quantity" || reason === "non-positive-quantity") return "quantity";
  // the first that matches: "post-only is for a limit order that rests (GTC or GTD)" is post-only's
  const named: [RegExp, OrderField][] = [
    [/take-?profit/i, "takeProfit"],
    [/stop-?loss/i, "stopLoss"],
    [/limitPrice/, "limitPrice"],
    [/stopPrice/, "stopPrice"],
    [/post-only/, "postOnly"],
    [/reduce-only/, "reduceOnly"],
    [/expireAt/, "expireAt"],
  ];
  return named.find(([pattern]) => pattern.test(detail))?.[1] ?? "form";
}

/** The replace form's inputs: empty for what it does not change. */
export interface ReplaceForm {
  quantity: string;
  limitPrice: string;
  stopPrice: string;
}

export type ReplaceCheck =
  { ok: true; change: OrderChange } | { ok: false; errors: Partial<Record<keyof ReplaceForm | "form", string>> };

/** What the order is now, to send only what changes. */
export interface ReplaceBaseline {
  quantity: number | null;
  limitPrice: number | null;
  stopPrice: number | null;
}

/**
 * A replace: a new total quantity, limit or stop price, each positive and on the instrument's
 * grid; only what differs from the order is sent, and at least one thing must.
 */
export function checkReplace(
  form: ReplaceForm,
  order: ReplaceBaseline,
  instrument: Instrument | undefined,
): ReplaceCheck {
  const errors: Partial<Record<keyof ReplaceForm | "form", string>> = {};
  const grid = instrument ? defineInstrument(instrument) : undefined;
  const change: OrderChange = {};
  const fields = [
    ["quantity", "Quantity", order.quantity],
    ["limitPrice", "Limit price", order.limitPrice],
    ["stopPrice", "Stop price", order.stopPrice],
  ] as const;
  for (const [field, label, now] of fields) {
    const value = parseDecimal(form[field]);
    if (value === undefined || value === now) continue;
    if (Number.isNaN(value)) errors[field] = `${label} must be a number`;
    else if (value <= 0) errors[field] = `${label} must be positive`;
    else if (field !== "quantity" && now === null) errors[field] = `This order has no ${label.toLowerCase()}`;
    else if (grid && (field === "quantity" ? sizeOnGrid(value, grid) : priceOnGrid(value, grid)) === null)
      errors[field] =
        field === "quantity"
          ? `${label} must be a multiple of ${grid.symbol}'s size increment ${grid.sizeIncrement}`
          : `${label} must be a multiple of ${grid.symbol}'s price increment ${grid.priceIncrement}`;
    else change[field] = value;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (Object.keys(change).length === 0) return { ok: false, errors: { form: "Change the quantity or a price first" } };
  return { ok: true, change };
}
