import { z } from "zod";
import { BarIntervalSchema, type Bar, type BarInterval } from "../bar";
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
}

/** What the strategy learns of its own fills. */
export interface FillNotice {
  symbol: string;
  side: "buy" | "sell";
  quantity: number;
  price: number;
  tsEvent: number;
}

/** The only way a strategy acts: it emits intents, never does I/O. */
export interface StrategyContext {
  signal(intent: SignalIntent): void;
  /** Current signed position quantity of this strategy in the symbol. */
  position(symbol: string): number;
}

/** Parameters every strategy shares: its bar interval and the notional it trades per signal. */
export const BaseParamsSchema = z.object({
  interval: BarIntervalSchema.default("1s"),
  /** Target position size in account currency for a long or short signal. */
  tradeNotional: z.number().positive().default(10_000),
  allowShort: z.boolean().default(true),
});

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
