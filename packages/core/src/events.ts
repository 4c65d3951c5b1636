import { z } from "zod";
import { BarSchema } from "./bar";
import { SignalDirectionSchema } from "./strategies/strategy";
import { QuoteTickSchema, TimestampSchema } from "./tick";

/**
 * Every event the platform publishes: a type name, its schema version and its data schema,
 * defined once here and used by the producer, the consumer, the API and the backtest.
 */
export const OrderSideSchema = z.enum(["buy", "sell"]);
export type OrderSide = z.infer<typeof OrderSideSchema>;

export const SignalGeneratedSchema = z.object({
  signalId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  direction: SignalDirectionSchema,
  reason: z.string(),
  indicators: z.record(z.string(), z.number()),
  /** Mid price when the signal fired. */
  price: z.number(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type SignalGenerated = z.infer<typeof SignalGeneratedSchema>;

export const OrderSubmittedSchema = z.object({
  orderId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  side: OrderSideSchema,
  quantity: z.number().positive(),
  type: z.literal("market"),
  /** The signal that caused the order, or "risk-flatten" for the kill switch. */
  signalId: z.string(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type OrderSubmitted = z.infer<typeof OrderSubmittedSchema>;

export const OrderFilledSchema = z.object({
  orderId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  side: OrderSideSchema,
  quantity: z.number().positive(),
  price: z.number().positive(),
  fee: z.number().nonnegative(),
  /** Realized PnL this fill produced (before fee). */
  realizedPnl: z.number(),
  /** seq of the quote filled against. */
  quoteSeq: z.number().int(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type OrderFilled = z.infer<typeof OrderFilledSchema>;

export const RejectReasonSchema = z.enum(["max-position", "max-gross-notional", "strategy-halted"]);
export type RejectReason = z.infer<typeof RejectReasonSchema>;

export const OrderRejectedSchema = z.object({
  orderId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  side: OrderSideSchema,
  quantity: z.number().positive(),
  reason: RejectReasonSchema,
  detail: z.string(),
  signalId: z.string(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type OrderRejected = z.infer<typeof OrderRejectedSchema>;

/** Full snapshot of one strategy's position in one symbol (the compacted topic keeps the last). */
export const PositionChangedSchema = z.object({
  strategyId: z.string(),
  symbol: z.string(),
  quantity: z.number(),
  averagePrice: z.number(),
  /** Signed cost of the open quantity. */
  costBasis: z.number(),
  realizedPnl: z.number(),
  unrealizedPnl: z.number(),
  fees: z.number(),
  markPrice: z.number(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type PositionChanged = z.infer<typeof PositionChangedSchema>;

export const RiskHaltedSchema = z.object({
  strategyId: z.string(),
  reason: z.literal("max-drawdown"),
  drawdown: z.number(),
  limit: z.number(),
  equity: z.number(),
  peakEquity: z.number(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type RiskHalted = z.infer<typeof RiskHaltedSchema>;

export const RiskResetSchema = z.object({
  strategyId: z.string(),
  equity: z.number(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type RiskReset = z.infer<typeof RiskResetSchema>;

/** Event type name -> { version, data schema }. The codec accepts only these. */
export const EVENT_SCHEMAS = {
  "quote.tick": { version: 1, data: QuoteTickSchema },
  "bar.closed": { version: 1, data: BarSchema },
  "signal.generated": { version: 1, data: SignalGeneratedSchema },
  "order.submitted": { version: 1, data: OrderSubmittedSchema },
  "order.filled": { version: 1, data: OrderFilledSchema },
  "order.rejected": { version: 1, data: OrderRejectedSchema },
  "position.changed": { version: 1, data: PositionChangedSchema },
  "risk.halted": { version: 1, data: RiskHaltedSchema },
  "risk.reset": { version: 1, data: RiskResetSchema },
} as const;
export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]["data"]>;

/** A domain event before it gets its envelope: the id is deterministic, so replays make the same ids. */
export type DomainEvent = {
  [T in EventType]: { type: T; id: string; ts: number; data: EventData<T> };
}[EventType];

/** Events the trading engine emits (ticks come in, these go out). */
export type EngineEvent = Exclude<DomainEvent, { type: "quote.tick" }>;

export const EnvelopeSchema = z.object({
  type: z.string(),
  version: z.number().int().positive(),
  id: z.string().min(1),
  ts: TimestampSchema,
  source: z.string().min(1),
  data: z.unknown(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;
