import { z } from "zod";
import { BarSchema } from "./bar";
import { CommandAppliedSchema, CommandRejectedSchema, CommandSubmittedSchema } from "./commands";
import { SignalDirectionSchema } from "./strategies/strategy";
import { LiquiditySchema, OrderSideSchema, OrderTypeSchema, RejectReasonSchema, TimeInForceSchema } from "./orders";
import { QuoteTickSchema, TimestampSchema } from "./tick";

/**
 * Every event the platform publishes: a type name, its schema version and its data schema,
 * defined once here and used by the producer, the consumer, the API and the backtest.
 */
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

/** Fields every order event carries to say whose order it is. */
const orderRef = {
  orderId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  side: OrderSideSchema,
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
};
const price = z.number().positive().max(1e9);
const size = z.number().positive().max(1e9);

export const OrderSubmittedSchema = z.object({
  ...orderRef,
  quantity: size,
  type: OrderTypeSchema,
  timeInForce: TimeInForceSchema,
  /** Limit price of a limit or stop-limit order. */
  limitPrice: price.nullable(),
  /** Trigger price of a stop or stop-limit order. */
  stopPrice: price.nullable(),
  /** GTD expiry in event time (ms). */
  expireAt: TimestampSchema.nullable(),
  reduceOnly: z.boolean(),
  postOnly: z.boolean(),
  /** The entry a bracket child protects, or null. */
  parentId: z.string().nullable(),
  /** The signal that caused the order, "risk-flatten" for the kill switch, "bracket" for a bracket child, "strategy" for an order a strategy placed itself. */
  signalId: z.string(),
});
export type OrderSubmitted = z.infer<typeof OrderSubmittedSchema>;

/** The order passed every check and is working: resting, waiting for its trigger or for its first quote. */
export const OrderAcceptedSchema = z.object({ ...orderRef });
export type OrderAccepted = z.infer<typeof OrderAcceptedSchema>;

/** A stop's trigger was touched (ask >= stop for a buy, bid <= stop for a sell): it now works as a market or limit order. */
export const OrderTriggeredSchema = z.object({ ...orderRef, stopPrice: price, touchPrice: price });
export type OrderTriggered = z.infer<typeof OrderTriggeredSchema>;

/** One fill of an order (an order can fill in several). */
export const OrderFilledSchema = z.object({
  ...orderRef,
  /** 1 for the order's first fill, 2 for the next... */
  fillNo: z.number().int().positive(),
  /** This fill's quantity. */
  quantity: size,
  price,
  liquidity: LiquiditySchema,
  fee: z.number().nonnegative(),
  /** Realized PnL this fill produced (before fee). */
  realizedPnl: z.number(),
  cumulativeQuantity: size,
  leavesQuantity: z.number().nonnegative(),
  /** Average price of the order's fills so far. */
  averagePrice: price,
  /** seq of the quote filled against. */
  quoteSeq: z.number().int(),
});
export type OrderFilled = z.infer<typeof OrderFilledSchema>;

export const CancelReasonSchema = z.enum([
  "requested",
  "ioc-remainder",
  "fok-unfillable",
  "oco",
  "expired",
  "risk-halt",
  /** A reduce-only order with nothing left to reduce. */
  "reduce-only",
]);
export type CancelReason = z.infer<typeof CancelReasonSchema>;

export const OrderCanceledSchema = z.object({
  ...orderRef,
  reason: CancelReasonSchema,
  filledQuantity: z.number().nonnegative(),
  /** What was still open when it was canceled. */
  canceledQuantity: z.number().nonnegative(),
});
export type OrderCanceled = z.infer<typeof OrderCanceledSchema>;

/** A working order's price or quantity changed; the fields are the order as it now is. */
export const OrderReplacedSchema = z.object({
  ...orderRef,
  quantity: size,
  limitPrice: price.nullable(),
  stopPrice: price.nullable(),
});
export type OrderReplaced = z.infer<typeof OrderReplacedSchema>;

export const OrderRejectedSchema = z.object({
  ...orderRef,
  quantity: z.number().nonnegative(),
  reason: RejectReasonSchema,
  detail: z.string(),
  signalId: z.string(),
});
export type OrderRejected = z.infer<typeof OrderRejectedSchema>;

/** A closed round trip: a position from flat back to flat (or through zero), entry and exit averaged. */
export const TradeClosedSchema = z.object({
  /** `${strategyId}:${symbol}:trade:${n}` */
  tradeId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  side: z.enum(["long", "short"]),
  /** The largest size the position reached. */
  quantity: size,
  entryPrice: price,
  exitPrice: price,
  entryTs: TimestampSchema,
  exitTs: TimestampSchema,
  holdingMs: z.number().int().nonnegative(),
  grossPnl: z.number(),
  fees: z.number().nonnegative(),
  netPnl: z.number(),
  /** Worst open PnL during the trade (<= 0). */
  maxAdverseExcursion: z.number(),
  /** Best open PnL during the trade (>= 0). */
  maxFavorableExcursion: z.number(),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type TradeClosed = z.infer<typeof TradeClosedSchema>;

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

const money = (what: string) => z.number().describe(`${what}, in the account currency`);

/** One strategy's account totals (the read views' account and the `equity.sampled` data). */
export const StrategyAccountSchema = z
  .object({
    strategyId: z.string(),
    startingCash: money("Cash at start"),
    cash: money("Cash now"),
    equity: money("Cash plus positions marked to mid"),
    realizedPnl: money("Realized PnL before fees"),
    unrealizedPnl: money("Unrealized PnL"),
    fees: money("Fees paid"),
    netPnl: money("equity - startingCash"),
    grossExposure: money("Sum of absolute position values"),
    drawdown: z.number().describe("Current fall from the equity peak, as a fraction"),
    maxDrawdown: z.number().describe("Largest fall from the highest equity since start, as a fraction"),
    maxDrawdownDurationMs: z.number().int().nonnegative().describe("Longest time spent below a peak, in ms"),
    peakEquity: money("Highest equity so far"),
    halted: z.boolean().describe("True while the drawdown limit halts the strategy"),
    closingFills: z.number().int().describe("Fills that reduced a position"),
    winningFills: z.number().int().describe("Closing fills with a positive realized PnL"),
  })
  .describe("One strategy's account totals");

/** A strategy's account as the engine sampled it at a closed bar of its interval: the read side's equity points. */
export const EquitySampledSchema = StrategyAccountSchema.extend({ tsEvent: TimestampSchema, tsInit: TimestampSchema });
export type EquitySampled = z.infer<typeof EquitySampledSchema>;

/** All strategies of one engine together, sampled once per closed bar: the read side's portfolio curve. */
export const PortfolioTotalsSchema = z.object({
  startingCash: money("Starting cash of all strategies"),
  equity: money("Equity of all strategies"),
  realizedPnl: money("Realized PnL"),
  unrealizedPnl: money("Unrealized PnL"),
  fees: money("Fees"),
  netPnl: money("equity - startingCash"),
  drawdown: z.number().describe("Current fall of the combined equity from its highest since start, as a fraction"),
  maxDrawdown: z.number().describe("Largest fall of the combined equity from its highest since start, as a fraction"),
  maxDrawdownDurationMs: z
    .number()
    .int()
    .nonnegative()
    .describe("Longest time the combined equity spent below a peak, in ms"),
  tsEvent: TimestampSchema,
  tsInit: TimestampSchema,
});
export type PortfolioSampled = z.infer<typeof PortfolioTotalsSchema>;

/** Event type name -> { version, data schema }. The codec accepts only these. */
export const EVENT_SCHEMAS = {
  "quote.tick": { version: 1, data: QuoteTickSchema },
  "bar.closed": { version: 1, data: BarSchema },
  "signal.generated": { version: 1, data: SignalGeneratedSchema },
  "order.submitted": { version: 2, data: OrderSubmittedSchema },
  "order.accepted": { version: 1, data: OrderAcceptedSchema },
  "order.triggered": { version: 1, data: OrderTriggeredSchema },
  "order.filled": { version: 2, data: OrderFilledSchema },
  "order.canceled": { version: 1, data: OrderCanceledSchema },
  "order.replaced": { version: 1, data: OrderReplacedSchema },
  "order.rejected": { version: 1, data: OrderRejectedSchema },
  "trade.closed": { version: 1, data: TradeClosedSchema },
  "position.changed": { version: 1, data: PositionChangedSchema },
  "risk.halted": { version: 1, data: RiskHaltedSchema },
  "risk.reset": { version: 1, data: RiskResetSchema },
  "equity.sampled": { version: 1, data: EquitySampledSchema },
  "portfolio.sampled": { version: 1, data: PortfolioTotalsSchema },
  "command.submitted": { version: 1, data: CommandSubmittedSchema },
  "command.applied": { version: 1, data: CommandAppliedSchema },
  "command.rejected": { version: 1, data: CommandRejectedSchema },
} as const;
export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]["data"]>;

/** A domain event before it gets its envelope: the id is deterministic, so replays make the same ids. */
export type DomainEvent = {
  [T in EventType]: { type: T; id: string; ts: number; data: EventData<T> };
}[EventType];

/** Events the trading engine emits (ticks and commands come in, these go out). */
export type EngineEvent = Exclude<DomainEvent, { type: "quote.tick" | "command.submitted" }>;

export const EnvelopeSchema = z.object({
  type: z.string(),
  version: z.number().int().positive(),
  id: z.string().min(1),
  ts: TimestampSchema,
  source: z.string().min(1),
  data: z.unknown(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;
