import { z } from "zod";
import { BarIntervalSchema, type Bar, type BarInterval } from "../bar";
import type { OrderChange, OrderRequest } from "../orders";
import type { QuoteTick } from "../tick";

/** Where a strategy wants to be in a symbol; the engine sizes and submits the order. */
export const SignalDirectionSchema = z.enum(["long", "short", "flat"]);
export type SignalDirection = z.infer<typeof SignalDirectionSchema>;

export interface SignalIntent {
  symbol: string;
  direction: SignalDirection;
  /** Human-readable reason with the indicator values that triggered it. */
  reason: string;
  /** Indicator values at the decision, for charts and audit. */
  indicators: Record<string, number>;
  /** The price a limit or stop entry goes out at (its band, its channel); a market entry ignores it. */
  entryPrice?: number;
  /** One unit of the strategy's volatility measure, as a price distance: what `takeProfitVol` and `stopLossVol` multiply. */
  volatility?: number;
}

/** What the strategy learns of its own fills. */
export interface FillNotice {
  orderId: string;
  symbol: string;
  side: "buy" | "sell";
  quantity: number;
  price: number;
  liquidity: "maker" | "taker";
  tsEvent: number;
}

/** A working order as the strategy sees it. */
export interface WorkingOrderView {
  orderId: string;
  symbol: string;
  side: "buy" | "sell";
  type: OrderRequest["type"];
  quantity: number;
  filledQuantity: number;
  limitPrice: number | null;
  stopPrice: number | null;
}

/**
 * The only way a strategy acts, never by I/O: a signal (where it wants to be; the engine sizes
 * it, checks risk and sends the entry its parameters say), or orders of its own, each checked
 * like any other. Order calls return the order id, rejected or not.
 */
export interface StrategyContext {
  signal(intent: SignalIntent): void;
  /** Current signed position quantity of this strategy in the symbol. */
  position(symbol: string): number;
  submitOrder(request: OrderRequest): string;
  /** False when the order is not working (filled, canceled, never existed). */
  cancelOrder(orderId: string): boolean;
  /** False when the order is not working or the change is refused (the refusal is published as order.rejected). */
  replaceOrder(orderId: string, change: OrderChange): boolean;
  workingOrders(symbol: string): WorkingOrderView[];
}

/** How a signal's entry goes out: at market, or as a limit or stop at the price the strategy names. */
export const EntryOrderSchema = z.enum(["market", "limit", "stop"]);
export type EntryOrder = z.infer<typeof EntryOrderSchema>;

/**
 * Parameters every strategy shares: its bar interval, the notional it trades per signal, how it
 * enters, and the bracket exits it attaches to an entry: take-profit and stop-loss as a distance
 * from the entry price in bps, or in multiples of the strategy's volatility measure (bps win
 * when both are given). Each strategy sets its own default entry.
 */
export const BaseParamsSchema = z.object({
  interval: BarIntervalSchema.default("1s"),
  /** Target position size in account currency for a long or short signal. */
  tradeNotional: z.number().positive().default(10_000),
  allowShort: z.boolean().default(true),
  entryOrder: EntryOrderSchema.default("market"),
  takeProfitBps: z.number().positive().max(10_000).optional(),
  stopLossBps: z.number().positive().max(10_000).optional(),
  takeProfitVol: z.number().positive().max(100).optional(),
  stopLossVol: z.number().positive().max(100).optional(),
});
export type BaseParams = z.infer<typeof BaseParamsSchema>;

/**
 * One running strategy. Its whole mutable state lives in `state`, a plain JSON value: the engine
 * keeps it in its own state, takes it for every snapshot and assigns the restored one back, so a
 * restarted worker continues exactly.
 */
export interface Strategy<S = unknown> {
  readonly interval: BarInterval;
  state: S;
  onStart(ctx: StrategyContext): void;
  onQuote(tick: QuoteTick, ctx: StrategyContext): void;
  onBar(bar: Bar, ctx: StrategyContext): void;
  onFill(fill: FillNotice, ctx: StrategyContext): void;
}

export interface StrategyDefinition<P extends z.ZodType = z.ZodType> {
  readonly kind: string;
  readonly description: string;
  readonly params: P;
  /** Closed bars of its interval the strategy needs per symbol before it can signal at all, given its parameters. */
  warmupBars(params: z.infer<P>): number;
  create(params: z.infer<P>, symbols: readonly string[]): Strategy;
}

/**
 * A strategy that acts on closed bars only, keeping independent state per symbol (each built-in
 * strategy is one): `initial` makes a symbol's state, `onBar` updates it and may signal.
 */
export function perSymbolBarStrategy<S>(options: {
  interval: BarInterval;
  symbols: readonly string[];
  initial: () => S;
  onBar: (state: S, bar: Bar, ctx: StrategyContext) => void;
}): Strategy<Record<string, S>> {
  return {
    interval: options.interval,
    state: Object.fromEntries(options.symbols.map((s) => [s, options.initial()])),
    onStart() {},
    onQuote() {},
    onFill() {},
    onBar(bar, ctx) {
      const st = this.state[bar.symbol];
      if (st) options.onBar(st, bar, ctx);
    },
  };
}

/** Keeps the last `size` values; plain arrays so the state is JSON. */
export interface Window {
  values: number[];
  size: number;
}

export function pushWindow(window: Window, value: number): void {
  window.values.push(value);
  if (window.values.length > window.size) window.values.shift();
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Population standard deviation. */
export function stdDev(values: readonly number[], mu = mean(values)): number {
  let sq = 0;
  for (const v of values) sq += (v - mu) * (v - mu);
  return Math.sqrt(sq / values.length);
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
