/**
 * The read views: what the workers serve over HTTP or the read side answers, and the gateway
 * passes on under /api, one zod schema each. The worker (or read-side query) that serves a view
 * types its answer with the view's type (z.input: what the schema accepts), so one that drifts
 * fails to compile; the gateway parses a worker's answer with the same schema (a drift at run time is a 502) and documents it in the OpenAPI
 * document from it (the `.describe()` texts below are that document's descriptions); the web app
 * takes its response types from it.
 *
 * Why here: core is the one package all three may import. The workers and the gateway must not
 * import each other, and the web bundle must stay free of Node, AWS and Kafka code; core is pure
 * (zod only), and the views are built from its events and its engine's read views
 * (read-views.ts, whose functions return these types).
 */
import { z } from "zod";
import { BarIntervalSchema, BarSchema } from "./bar";
import { ActorSchema, CommandIdSchema, CommandKindSchema, CommandRejectReasonSchema } from "./commands";
import { StrategyInstanceSchema } from "./engine-config";
import {
  OrderFilledSchema,
  OrderSubmittedSchema,
  PortfolioTotalsSchema,
  PositionChangedSchema,
  RiskHaltedSchema,
  RiskResetSchema,
  SignalGeneratedSchema,
  StrategyAccountSchema,
  TradeClosedSchema,
} from "./events";
import { InstrumentSpecSchema } from "./instrument";
import { QuoteTickSchema } from "./tick";

// ---------------------------------------------------------------------------------------------
// The market-data worker: GET /instruments, /quotes, /quotes/{symbol}.

export const InstrumentSchema = z
  .object(InstrumentSpecSchema.shape)
  .describe("A tradable instrument: its grid (increments, precisions), currency and simulation parameters");
export const InstrumentsSchema = z.array(InstrumentSchema).describe("The instrument universe");

export const QuoteSchema = z
  .object({
    symbol: z.string(),
    bid: QuoteTickSchema.shape.bid,
    ask: QuoteTickSchema.shape.ask,
    mid: z.number().describe("(bid + ask) / 2 on the price grid"),
    bidSize: QuoteTickSchema.shape.bidSize,
    askSize: QuoteTickSchema.shape.askSize,
    seq: QuoteTickSchema.shape.seq,
    tsEvent: QuoteTickSchema.shape.tsEvent.describe("When the quote happened, ms since the epoch"),
    open: z.number().describe("Mid of the first quote of the UTC day (the session open)"),
    change: z.number().describe("mid - open"),
    changePct: z.number().describe("Change since the open, in percent"),
  })
  .describe("The latest quote of one symbol, with its change since the session open");
export const QuotesSchema = z
  .array(QuoteSchema)
  .describe("The quotes board: the latest quote of every symbol that has one, in universe order");

export const QuoteTickViewSchema = QuoteTickSchema.describe("One best bid and offer as published on md.quotes.v1");
export const QuoteDetailSchema = z
  .object({
    quote: QuoteSchema.nullable().describe("null until the symbol's first quote"),
    history: z.array(QuoteTickViewSchema).describe("Recent quotes, oldest first"),
  })
  .describe("One symbol's latest quote and its recent quotes");

// ---------------------------------------------------------------------------------------------
// The strategy worker: GET /strategies, /strategies/{id}. Bars and positions are the read side's
// (the gateway's /api/bars/{symbol}, /api/positions), in the engine's shapes.

export const BarViewSchema = BarSchema.describe("A closed time bar: OHLC of the mid over [start, end), epoch-aligned");
export const BarsSchema = z.array(BarViewSchema).describe("Closed bars, oldest first");

const money = (what: string) => z.number().describe(`${what}, in the account currency`);

export const PositionSchema = z
  .object({
    symbol: PositionChangedSchema.shape.symbol,
    quantity: PositionChangedSchema.shape.quantity.describe("Signed: long > 0, short < 0"),
    averagePrice: PositionChangedSchema.shape.averagePrice,
    costBasis: money("Signed cost of the open quantity"),
    realizedPnl: money("Realized PnL before fees"),
    unrealizedPnl: money("Unrealized PnL, marked to mid"),
    fees: money("Fees paid"),
    markPrice: PositionChangedSchema.shape.markPrice.describe("Mid the position is marked at"),
  })
  .describe("One strategy's position in one symbol");
export const StrategyPositionSchema = PositionSchema.extend({
  strategyId: PositionChangedSchema.shape.strategyId,
}).describe("A position, with the strategy that holds it");
export const PositionsSchema = z
  .array(StrategyPositionSchema)
  .describe("Every strategy's position in each of its symbols");

/** What every strategy view says of the instance itself (the engine's strategyView). */
const StrategyInfoSchema = z.object({
  id: StrategyInstanceSchema.shape.id,
  kind: z.string().describe("Strategy kind: sma-crossover, mean-reversion or breakout"),
  symbols: z.array(z.string()),
  interval: BarIntervalSchema.describe("Bar interval the strategy trades on"),
  params: z.record(z.string(), z.unknown()).describe("The strategy's parameters after defaults"),
  status: z.enum(["running", "paused", "halted"]).describe("halted (by the drawdown limit) outranks paused"),
  paused: z.boolean().describe("Paused by a command: no order opens or adds to a position"),
});

export const StrategySchema = z
  .object({ ...StrategyInfoSchema.shape, portfolio: StrategyAccountSchema, positions: z.array(PositionSchema) })
  .describe("A running strategy with its account totals and positions");
export const StrategiesSchema = z.array(StrategySchema).describe("Every running strategy");

export const EquityPointSchema = z.object({ ts: z.number().int(), equity: money("Equity") });
/** One strategy's full account: the engine's portfolioView. */
const StrategyPortfolioSchema = StrategyAccountSchema.extend({
  positions: z.array(PositionSchema),
  equityCurve: z.array(EquityPointSchema).describe("Recent equity samples, oldest first"),
});
export const StrategyDetailSchema = z
  .object({ ...StrategyInfoSchema.shape, portfolio: StrategyPortfolioSchema })
  .describe("One strategy with its full account: positions and equity curve");

export const SignalViewSchema = SignalGeneratedSchema.describe("A signal a strategy generated (signal.generated)");

// ---------------------------------------------------------------------------------------------
// The read side (PostgreSQL, fed by the projector): history with time ranges and cursors.

/**
 * A page cursor: opaque to clients (the read side writes the key of the last row served in base
 * 36). Every string of this alphabet is a valid cursor, so the API documents exactly what it takes.
 */
export const CURSOR_PATTERN = /^[0-9a-z]{1,11}$/;

/** A list route's answer: one page, and the cursor of the next (null on the last page). */
export function pageOf<T extends z.ZodType>(item: T, what: string) {
  return z
    .object({
      items: z.array(item),
      next: z
        .string()
        .nullable()
        .describe(
          "Opaque cursor of the next page: pass it back as `cursor` with the same filters; null on the last page",
        ),
    })
    .describe(what);
}

export const ORDER_STATUSES = [
  "submitted",
  "working",
  "triggered",
  "partially-filled",
  "filled",
  "canceled",
  "rejected",
] as const;
export const OrderStatusSchema = z
  .enum(ORDER_STATUSES)
  .describe(
    "submitted (not yet checked), working (accepted: resting or waiting for its trigger), triggered (a stop touched), partially-filled, filled, canceled, rejected",
  );

/** An order at its latest state, kept by its lifecycle events (order.* on strategy.orders.v1). */
export const OrderStateSchema = z
  .object({
    orderId: OrderSubmittedSchema.shape.orderId,
    strategyId: OrderSubmittedSchema.shape.strategyId,
    symbol: OrderSubmittedSchema.shape.symbol,
    side: OrderSubmittedSchema.shape.side,
    type: OrderSubmittedSchema.shape.type.nullable().describe("null only while its order.submitted is not stored"),
    timeInForce: OrderSubmittedSchema.shape.timeInForce.nullable(),
    quantity: z.number().nullable().describe("Total quantity (after replaces)"),
    limitPrice: z.number().nullable(),
    stopPrice: z.number().nullable(),
    parentId: z.string().nullable().describe("The entry a bracket child protects"),
    signalId: z.string().nullable(),
    status: OrderStatusSchema,
    filledQuantity: z.number().nonnegative(),
    averagePrice: z.number().nullable().describe("Average fill price, null before the first fill"),
    reason: z.string().nullable().describe("Why it was canceled or rejected"),
    submittedAt: z.number().int().nullable().describe("tsEvent of order.submitted"),
    updatedAt: z.number().int().describe("tsEvent of its latest event"),
  })
  .describe("An order and where its lifecycle is");
export const OrderPageSchema = pageOf(OrderStateSchema, "Orders, newest first");
export const FillPageSchema = pageOf(OrderFilledSchema, "Fills (order.filled), newest first");
export const TradePageSchema = pageOf(TradeClosedSchema, "Closed round trips (trade.closed), newest first");
export const SignalPageSchema = pageOf(SignalViewSchema, "Signals, newest first");
export const EquityPointViewSchema = z
  .object({
    ts: z.number().int().describe("When it was sampled (a closed bar's end), ms since the epoch"),
    equity: money("Equity"),
    netPnl: money("equity - startingCash"),
    drawdown: z.number().describe("Fall from the highest equity since start, as a fraction"),
    maxDrawdown: z.number().describe("Largest fall since start up to this point, as a fraction"),
  })
  .describe("One equity sample");
export const EquityPageSchema = pageOf(EquityPointViewSchema, "Equity samples, oldest first");

export const CommandStatusSchema = z.enum(["pending", "applied", "rejected"]);

/** A command as the audit has it: who sent what when, and what became of it. */
export const CommandViewSchema = z
  .object({
    commandId: CommandIdSchema,
    kind: CommandKindSchema,
    strategyId: z.string(),
    payload: z.record(z.string(), z.unknown()).describe("What the command asked, as its kind's payload"),
    actor: ActorSchema,
    submittedAt: z.number().int().describe("When the gateway accepted it (ms)"),
    status: CommandStatusSchema.describe("pending until the strategy worker has answered it"),
    reason: CommandRejectReasonSchema.nullable().describe("Why it was rejected (stable), else null"),
    detail: z.string().nullable(),
    orderId: z.string().nullable().describe("The order it created or named, else null"),
    appliedAt: z.number().int().nullable().describe("Engine time it took effect at (ms), else null"),
  })
  .describe("A command and its outcome");
export const CommandPageSchema = pageOf(CommandViewSchema, "Commands, newest first");

/** Not public: the gateway derives /api/alerts from it where it cannot keep alerts itself (a Lambda). */
export const RiskEventSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("risk.halted"), data: RiskHaltedSchema }),
    z.object({ type: z.literal("risk.reset"), data: RiskResetSchema }),
  ])
  .describe("A risk event from strategy.risk.v1");

export const PortfolioSchema = PortfolioTotalsSchema.omit({ tsEvent: true, tsInit: true })
  .extend({
    strategies: z.array(StrategyAccountSchema),
    equityCurve: z
      .array(
        z.object({
          ts: z.number().int(),
          equity: money("Combined equity"),
          drawdown: z
            .number()
            .describe("Drawdown at this point from the curve's highest point before it, as a fraction"),
        }),
      )
      .describe("Combined equity over time, oldest first"),
  })
  .describe("All strategies together: totals, equity curve and drawdown");

// ---------------------------------------------------------------------------------------------
// What a worker must answer for the schema to accept it.

export type InstrumentView = z.input<typeof InstrumentSchema>;
export type QuoteView = z.input<typeof QuoteSchema>;
export type QuoteDetailView = z.input<typeof QuoteDetailSchema>;
export type BarView = z.input<typeof BarViewSchema>;
export type PositionView = z.input<typeof PositionSchema>;
export type StrategyPositionView = z.input<typeof StrategyPositionSchema>;
export type StrategyAccountView = z.input<typeof StrategyAccountSchema>;
export type StrategyInfoView = z.input<typeof StrategyInfoSchema>;
export type StrategyView = z.input<typeof StrategySchema>;
export type StrategyPortfolioView = z.input<typeof StrategyPortfolioSchema>;
export type StrategyDetailView = z.input<typeof StrategyDetailSchema>;
export type SignalView = z.input<typeof SignalViewSchema>;
export type RiskEventView = z.input<typeof RiskEventSchema>;
export type PortfolioView = z.input<typeof PortfolioSchema>;
export type OrderStateView = z.input<typeof OrderStateSchema>;
export type EquityPointView = z.input<typeof EquityPointViewSchema>;
export type CommandView = z.input<typeof CommandViewSchema>;
export type Page<T> = { items: T[]; next: string | null };
