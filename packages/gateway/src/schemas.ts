/**
 * The public API's contract: every path and query parameter and every response, as zod schemas.
 * The handlers parse their input and their upstreams' answers with these, and the OpenAPI
 * document is generated from them, so the code and the spec cannot drift apart.
 *
 * This module imports only `zod` and `@tickflow/core`: the web dashboard imports it through the
 * `@tickflow/gateway/schemas` subpath, and must not pull in Node or AWS code with it.
 */
import {
  ActorSchema,
  COMMAND_PAYLOADS,
  CommandIdSchema,
  CommandKindSchema,
  CommandPageSchema,
  CommandStatusSchema,
  CommandViewSchema,
  OrderRequestSchema,
  RoleSchema,
  BarIntervalSchema,
  CURSOR_PATTERN,
  EquityPageSchema,
  FillPageSchema,
  OrderPageSchema,
  OrderStateSchema,
  ORDER_STATUSES,
  OrderTypeSchema,
  SignalPageSchema,
  TradePageSchema,
  BarsSchema,
  BarViewSchema,
  DEFAULT_UNIVERSE,
  EquityPointSchema,
  InstrumentSchema,
  InstrumentsSchema,
  parseDecimalInteger,
  PortfolioSchema,
  PositionSchema,
  PositionsSchema,
  QuoteDetailSchema,
  QuoteSchema,
  QuotesSchema,
  QuoteTickViewSchema,
  RiskHaltedSchema,
  SignalViewSchema,
  StrategiesSchema,
  StrategyAccountSchema,
  StrategyDetailSchema,
  StrategyInstanceSchema,
  StrategyPositionSchema,
  StrategySchema,
} from "@tickflow/core";
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Parameters. Query and path values arrive as strings; an empty value is a value (and invalid).

/**
 * A decimal integer in [min, max]; "1e2", "0x10" and " 5" are refused rather than coerced.
 * What spells an integer is core's parseDecimalInteger, the rule the workers' `limit` reads by too.
 */
function integerParam(name: string, what: string, min: number, max: number, fallback: number) {
  const message = `${name} must be an integer from ${min} to ${max}`;
  return z
    .preprocess(
      (value) => (typeof value === "string" ? (parseDecimalInteger(value) ?? value) : value),
      z.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback),
    )
    .describe(`${what}: an integer from ${min} to ${max} (default ${fallback})`);
}

const SYMBOLS = DEFAULT_UNIVERSE.map((i) => i.symbol) as [string, ...string[]];

/** A symbol of the instrument universe (the market-data worker may publish a subset of it). */
export const SymbolSchema = z
  .enum(SYMBOLS, { error: `symbol must be one of ${SYMBOLS.join(", ")}` })
  .describe("An instrument of the universe, e.g. AAPL or BTC-USD");

/** The format of a strategy instance id: the rule the strategy worker's configuration applies, plus a length cap. */
export const StrategyIdSchema = StrategyInstanceSchema.shape.id
  .max(64, "strategy ids are at most 64 characters")
  .describe("A strategy instance id, e.g. sma-crossover");

export const BAR_INTERVALS = BarIntervalSchema.options;

export const SymbolPathSchema = z.object({ symbol: SymbolSchema });
export const StrategyPathSchema = z.object({ id: StrategyIdSchema });

export const QuoteQuerySchema = z.object({
  limit: integerParam("limit", "How many recent quotes to include", 1, 1_000, 100),
});

/** An event time in ms since the epoch, for `from`/`to`. */
function timeParam(name: "from" | "to", what: string) {
  const message = `${name} must be a time in ms since the epoch: an integer from 0 to ${MAX_TIME}`;
  return z
    .preprocess(
      (value) => (typeof value === "string" ? (parseDecimalInteger(value) ?? value) : value),
      z.number({ error: message }).int(message).min(0, message).max(MAX_TIME, message).optional(),
    )
    .describe(what);
}
const MAX_TIME = 8_640_000_000_000_000;

/** What every list route takes: [from, to) on tsEvent, a page size and the cursor of the page before. */
const ListShape = {
  from: timeParam("from", "Only events at or after this tsEvent (ms since the epoch, inclusive)"),
  to: timeParam("to", "Only events before this tsEvent (ms since the epoch, exclusive)"),
  limit: integerParam("limit", "Page size", 1, 1_000, 100),
  cursor: z
    .string()
    .regex(CURSOR_PATTERN, "cursor must be the `next` of a page: 1 to 11 of 0-9 and a-z")
    .optional()
    .describe("The `next` of the previous page; leave out for the first page"),
};

export const BarsQuerySchema = z.object({
  interval: z
    .enum(BAR_INTERVALS, { error: `interval must be one of ${BAR_INTERVALS.join(", ")}` })
    .default("1m")
    .describe(`Bar length: one of ${BAR_INTERVALS.join(", ")} (default 1m)`),
  limit: integerParam("limit", "How many of the latest bars", 1, 1_000, 200),
  from: timeParam("from", "Only bars starting at or after this time (ms since the epoch, inclusive)"),
  to: timeParam("to", "Only bars starting before this time (ms since the epoch, exclusive)"),
});

/** A strategy id, for filters: one the read side has never heard of answers 404 unknown-strategy. */
const strategyFilter = StrategyIdSchema.optional().describe(
  "Only this strategy (404 if the read side knows no such strategy)",
);
const symbolFilter = SymbolSchema.optional().describe("Only this symbol (404 if it is not in the universe)");

export const SignalsQuerySchema = z.object({ strategy: strategyFilter, symbol: symbolFilter, ...ListShape });

export const FillsQuerySchema = z.object({
  strategy: strategyFilter,
  symbol: symbolFilter,
  side: z.enum(["buy", "sell"], { error: "side must be buy or sell" }).optional().describe("Only buys or sells"),
  ...ListShape,
});

export const TradesQuerySchema = z.object({
  strategy: strategyFilter,
  symbol: symbolFilter,
  side: z
    .enum(["long", "short"], { error: "side must be long or short" })
    .optional()
    .describe("Only long or short round trips"),
  ...ListShape,
});

const ORDER_TYPES = OrderTypeSchema.options;
export const OrdersQuerySchema = z.object({
  strategy: strategyFilter,
  symbol: symbolFilter,
  side: z.enum(["buy", "sell"], { error: "side must be buy or sell" }).optional().describe("Only buys or sells"),
  type: z
    .enum(ORDER_TYPES, { error: `type must be one of ${ORDER_TYPES.join(", ")}` })
    .optional()
    .describe(`Only orders of this type: one of ${ORDER_TYPES.join(", ")}`),
  status: z
    .enum(ORDER_STATUSES, { error: `status must be one of ${ORDER_STATUSES.join(", ")}` })
    .optional()
    .describe(`Only orders in this state: one of ${ORDER_STATUSES.join(", ")}`),
  ...ListShape,
});

export const EquityQuerySchema = z.object({
  strategy: StrategyIdSchema.optional().describe(
    "This strategy's samples (404 if the read side knows no such strategy); without it, the portfolio's",
  ),
  ...ListShape,
});

export const CommandPathSchema = z.object({
  id: CommandIdSchema.describe("A command id (the Idempotency-Key it was sent with)"),
});
export const OrderPathSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[a-z0-9][a-z0-9-]*:[^\s]+$/, "an order id is <strategy id>:<symbol>:<n>")
    .describe("An order id, e.g. sma-crossover:AAPL:17"),
});

const COMMAND_STATUSES = CommandStatusSchema.options;
const COMMAND_KINDS = CommandKindSchema.options;
export const CommandsQuerySchema = z.object({
  strategy: StrategyIdSchema.optional().describe("Only commands for this strategy"),
  status: z
    .enum(COMMAND_STATUSES, { error: `status must be one of ${COMMAND_STATUSES.join(", ")}` })
    .optional()
    .describe(`Only commands in this state: one of ${COMMAND_STATUSES.join(", ")}`),
  kind: z
    .enum(COMMAND_KINDS, { error: `kind must be one of ${COMMAND_KINDS.join(", ")}` })
    .optional()
    .describe(`Only commands of this kind: one of ${COMMAND_KINDS.join(", ")}`),
  ...ListShape,
});

// ---------------------------------------------------------------------------------------------
// Request bodies (JSON): each command route's is its command's payload (core's COMMAND_PAYLOADS).

export const AddStrategyBodySchema = z
  .strictObject({ id: StrategyIdSchema, ...COMMAND_PAYLOADS["strategy.add"].shape })
  .describe("A new strategy instance: id, kind, symbols and parameters (the kind's defaults for the rest)");
export const ChangeStrategyBodySchema = COMMAND_PAYLOADS["strategy.params"].describe(
  "Parameters to change, merged onto the current ones; the strategy's indicators warm up again",
);
export const FlattenBodySchema = COMMAND_PAYLOADS["strategy.flatten"].describe(
  "One symbol to flatten; every symbol the strategy trades when left out",
);
export const SubmitOrderBodySchema = z
  .strictObject({ strategyId: StrategyIdSchema, ...OrderRequestSchema.shape })
  .describe("A manual order, booked in the strategy's account");
export const ReplaceOrderBodySchema = z
  .strictObject({
    quantity: COMMAND_PAYLOADS["order.replace"].shape.quantity,
    limitPrice: COMMAND_PAYLOADS["order.replace"].shape.limitPrice,
    stopPrice: COMMAND_PAYLOADS["order.replace"].shape.stopPrice,
  })
  .refine(
    (c) => c.quantity !== undefined || c.limitPrice !== undefined || c.stopPrice !== undefined,
    "a replace changes the quantity, the limit price or the stop price",
  )
  // what the refinement says, in the JSON Schema
  .meta({ minProperties: 1 })
  .describe("The order's new total quantity, limit price or stop price");
export const TokenRequestSchema = z
  .strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
  .describe("A local user's credentials (AUTH_USERS)");

export const TokenSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().positive().describe("Seconds until it expires"),
    username: z.string(),
    role: RoleSchema,
  })
  .describe("A bearer token for the API");
export const CommandAcceptedSchema = z
  .object({
    commandId: CommandIdSchema,
    kind: CommandKindSchema,
    strategyId: z.string(),
    status: z.literal("pending"),
    submittedAt: z.number().int(),
  })
  .describe("The command is on strategy.commands.v1; GET its Location for the outcome");
export const StrategyKindsSchema = z
  .array(
    z.object({
      kind: z.string(),
      params: z.record(z.string(), z.unknown()).describe("JSON Schema of the parameters (input form, with the bounds)"),
    }),
  )
  .describe("The strategy kinds a strategy.add may name");
export { ActorSchema, CommandPageSchema, CommandViewSchema };

export const AlertsQuerySchema = z.object({
  limit: integerParam("limit", "How many of the latest alerts", 1, 500, 50),
});

// ---------------------------------------------------------------------------------------------
// Responses. The workers' read views are core's schemas (packages/core/src/views.ts: one schema
// per view, which the worker serving it is typed with); the gateway validates every upstream
// answer against them, so a worker that drifts is caught at the boundary (502). What only the
// gateway answers (alerts, health, problems, this document) is defined here.

export {
  InstrumentSchema,
  InstrumentsSchema,
  QuoteSchema,
  QuotesSchema,
  QuoteTickViewSchema as QuoteTick,
  QuoteDetailSchema,
  BarViewSchema as Bar,
  BarsSchema,
  PositionSchema,
  StrategyPositionSchema,
  PositionsSchema,
  StrategyAccountSchema,
  StrategySchema,
  StrategiesSchema,
  EquityPointSchema,
  StrategyDetailSchema,
  SignalViewSchema as Signal,
  OrderStateSchema,
  OrderPageSchema,
  FillPageSchema,
  TradePageSchema,
  SignalPageSchema,
  EquityPageSchema,
  PortfolioSchema,
};

const money = (what: string) => z.number().describe(`${what}, in the account currency`);

export const AlertSchema = z
  .object({
    id: z.string().describe("`<strategyId>:<tsEvent>` of the halt; the same halt always has the same id"),
    strategyId: RiskHaltedSchema.shape.strategyId,
    reason: RiskHaltedSchema.shape.reason,
    message: z.string().describe("One line for a human"),
    drawdown: RiskHaltedSchema.shape.drawdown.describe("Drawdown that tripped the limit, as a fraction"),
    limit: RiskHaltedSchema.shape.limit.describe("The drawdown limit, as a fraction"),
    equity: money("Equity at the halt"),
    peakEquity: money("Equity peak the drawdown is measured from"),
    tsEvent: RiskHaltedSchema.shape.tsEvent.describe("When the strategy halted, ms since the epoch"),
  })
  .describe("An alert raised for a risk.halted event: a strategy hit its drawdown limit and was flattened");
export const AlertsSchema = z.array(AlertSchema).describe("Alerts, newest first");

export const DEPENDENCIES = ["market-data", "strategy", "database"] as const;
export const DependencyHealthSchema = z
  .object({
    name: z.enum(DEPENDENCIES),
    status: z.enum(["up", "down"]),
    latencyMs: z.number().int().nonnegative().describe("Time the health check took"),
    detail: z.string().optional().describe("Why the dependency is down"),
  })
  .describe("One dependency's health");
export const ConsumerHealthSchema = z
  .object({
    name: z
      .enum(["risk-alerts", "stream"])
      .describe(
        "risk-alerts: the risk/alerts consumer of strategy.risk.v1 and strategy.orders.v1; stream: the consumer that feeds /api/stream",
      ),
    group: z.string().describe("Its Kafka consumer group"),
    status: z
      .enum(["up", "down"])
      .describe(
        "down when it has stopped, its offsets cannot be read, or a partition with records behind has not advanced for too long",
      ),
    lag: z
      .number()
      .int()
      .nonnegative()
      .describe("Records between the group's committed offsets and the ends of its topics, as last measured"),
    detail: z.string().optional().describe("Why it is down"),
  })
  .describe("A Kafka consumer the gateway runs itself, and whether it advances");
export const HealthSchema = z
  .object({
    status: z
      .enum(["up", "down"])
      .describe("up when every dependency and consumer is up (HTTP 200), down otherwise (HTTP 503)"),
    dependencies: z.array(DependencyHealthSchema),
    consumers: z
      .array(ConsumerHealthSchema)
      .optional()
      .describe(
        "The consumers the gateway runs, where it runs them (the local gateway); on AWS the MSK event source's OffsetLag watches the risk/alerts consumer",
      ),
  })
  .describe("The gateway's dependencies and their status");

export const OpenApiDocumentSchema = z.record(z.string(), z.unknown()).describe("This document: OpenAPI 3.1");

export const ProblemSchema = z
  .object({
    type: z.string().describe("about:blank: the status and `code` say what happened"),
    title: z.string().describe("The HTTP status phrase"),
    status: z.number().int(),
    code: z
      .string()
      .describe("Stable, machine-readable: invalid-parameter, unknown-symbol, unknown-strategy, upstream-timeout, ..."),
    detail: z.string().describe("What went wrong, for a human"),
    instance: z.string().optional().describe("The request path"),
    parameter: z.string().optional().describe("The offending parameter, for invalid-parameter"),
    upstream: z.string().optional().describe("The worker that failed, for upstream-* codes"),
    errors: z
      .array(z.object({ parameter: z.string(), in: z.enum(["path", "query", "header", "body"]), message: z.string() }))
      .optional()
      .describe(
        "Every invalid parameter (invalid-parameter), header (invalid-header) or body field (invalid-body: `parameter` is the field's path)",
      ),
  })
  .describe("An RFC 9457 problem (application/problem+json)");

export type Instrument = z.infer<typeof InstrumentSchema>;
export type Quote = z.infer<typeof QuoteSchema>;
export type QuoteDetail = z.infer<typeof QuoteDetailSchema>;
export type Position = z.infer<typeof PositionSchema>;
export type StrategyPosition = z.infer<typeof StrategyPositionSchema>;
export type StrategyAccount = z.infer<typeof StrategyAccountSchema>;
export type Strategy = z.infer<typeof StrategySchema>;
export type StrategyDetail = z.infer<typeof StrategyDetailSchema>;
export type Portfolio = z.infer<typeof PortfolioSchema>;
export type Alert = z.infer<typeof AlertSchema>;
export type DependencyHealth = z.infer<typeof DependencyHealthSchema>;
export type ConsumerHealth = z.infer<typeof ConsumerHealthSchema>;
export type Health = z.infer<typeof HealthSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

// ---------------------------------------------------------------------------------------------
// One contract per route handler: what it reads and what it answers.

/** HTTP statuses a route can answer besides its success, each as application/problem+json. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 413 | 415 | 422 | 502 | 503;

export interface Contract {
  readonly summary: string;
  readonly tag: "market-data" | "strategy" | "history" | "alerts" | "commands" | "system";
  readonly path?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly response: z.ZodType;
  readonly problems: readonly ProblemStatus[];
  /** A list route that also answers text/csv (one row per item) when the request accepts it. */
  readonly csv?: true;
  /** The JSON request body (Content-Type: application/json); `bodyOptional`: an empty body reads as {}. */
  readonly body?: z.ZodType;
  readonly bodyOptional?: true;
  /** The success status when not 200 (202 for the commands). */
  readonly success?: 202;
}

/** Problems of a command route: bad body or header (400), no or a bad token (401), a viewer's (403), an unknown target (404), a body too large (413) or not JSON (415), an Idempotency-Key reused for another request (422), Kafka or the read side away (503). */
const COMMAND = [400, 401, 403, 404, 413, 415, 422, 503] as const;

/** Problems of a route that reads one upstream: it can be down or slow (503) or answer nonsense (502). */
const UPSTREAM = [502, 503] as const;

/** Problems of a list route on the read side: bad input (400), an unknown strategy or symbol (404), the database away (503). */
const HISTORY = [400, 404, 503] as const;

/** Keyed by handler name (ROUTES in http/routes.ts); a test holds the two to the same set. */
export const CONTRACTS = {
  health: {
    summary: "Each dependency's status: 200 when all are up, 503 otherwise (same body)",
    tag: "system",
    response: HealthSchema,
    // besides the Health body with a dependency down, a check that runs out of time (middy's
    // timeout, before the Lambda's) answers 503 problem+json: a 503 is a Health body only if it parses as one
    problems: [503],
  },
  instruments: {
    summary: "The instrument universe",
    tag: "market-data",
    response: InstrumentsSchema,
    problems: UPSTREAM,
  },
  quotes: {
    summary: "The quotes board: latest quote of every symbol",
    tag: "market-data",
    response: QuotesSchema,
    problems: UPSTREAM,
  },
  quote: {
    summary: "One symbol's latest quote and recent quotes",
    tag: "market-data",
    path: SymbolPathSchema,
    query: QuoteQuerySchema,
    response: QuoteDetailSchema,
    problems: [400, 404, ...UPSTREAM],
  },
  bars: {
    summary: "Closed bars of one symbol from the read side, oldest first",
    tag: "history",
    path: SymbolPathSchema,
    query: BarsQuerySchema,
    response: BarsSchema,
    problems: [400, 404, 503],
  },
  strategies: {
    summary: "Every running strategy with its status, account and positions",
    tag: "strategy",
    response: StrategiesSchema,
    problems: UPSTREAM,
  },
  strategy: {
    summary: "One strategy with its full account and equity curve",
    tag: "strategy",
    path: StrategyPathSchema,
    response: StrategyDetailSchema,
    // a malformed id names no strategy: 404, not 400
    problems: [404, ...UPSTREAM],
  },
  signals: {
    summary: "Signals, newest first, one page at a time",
    tag: "history",
    query: SignalsQuerySchema,
    response: SignalPageSchema,
    problems: HISTORY,
    csv: true,
  },
  orders: {
    summary: "Orders at their latest state (lifecycle from order.* events), newest first, one page at a time",
    tag: "history",
    query: OrdersQuerySchema,
    response: OrderPageSchema,
    problems: HISTORY,
    csv: true,
  },
  fills: {
    summary: "Fills (one order.filled each), newest first, one page at a time",
    tag: "history",
    query: FillsQuerySchema,
    response: FillPageSchema,
    problems: HISTORY,
    csv: true,
  },
  trades: {
    summary: "Closed round trips (trade.closed), newest first, one page at a time",
    tag: "history",
    query: TradesQuerySchema,
    response: TradePageSchema,
    problems: HISTORY,
    csv: true,
  },
  equity: {
    summary: "Equity samples of one strategy, or of the portfolio, oldest first, one page at a time",
    tag: "history",
    query: EquityQuerySchema,
    response: EquityPageSchema,
    problems: HISTORY,
    csv: true,
  },
  positions: {
    summary: "Every strategy's latest position in each symbol it has traded",
    tag: "history",
    response: PositionsSchema,
    problems: [503],
  },
  portfolio: {
    summary: "All strategies together as of the latest sample: totals, equity curve, drawdown since start",
    tag: "history",
    response: PortfolioSchema,
    problems: [503],
  },
  alerts: {
    summary: "Alerts raised for risk.halted events, newest first",
    tag: "alerts",
    query: AlertsQuerySchema,
    response: AlertsSchema,
    problems: [400, 503],
  },
  openapi: { summary: "This OpenAPI 3.1 document", tag: "system", response: OpenApiDocumentSchema, problems: [] },
  strategyKinds: {
    summary: "The strategy kinds, each with its parameters' JSON Schema (for forms)",
    tag: "strategy",
    response: StrategyKindsSchema,
    problems: [401],
  },
  commands: {
    summary: "The command audit: who sent what when, and its outcome, newest first, one page at a time",
    tag: "commands",
    query: CommandsQuerySchema,
    response: CommandPageSchema,
    problems: [400, 401, 404, 503],
    csv: true,
  },
  command: {
    summary: "One command and its outcome (404 until the read side has it)",
    tag: "commands",
    path: CommandPathSchema,
    response: CommandViewSchema,
    problems: [401, 404, 503],
  },
  addStrategy: {
    summary: "Add a strategy instance (command strategy.add)",
    tag: "commands",
    body: AddStrategyBodySchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  removeStrategy: {
    summary: "Remove a flat strategy, canceling its working orders (command strategy.remove)",
    tag: "commands",
    path: StrategyPathSchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  changeStrategy: {
    summary: "Change a strategy's parameters (command strategy.params)",
    tag: "commands",
    path: StrategyPathSchema,
    body: ChangeStrategyBodySchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  pauseStrategy: {
    summary: "Pause a strategy: no new entries, its resting entries canceled (command strategy.pause)",
    tag: "commands",
    path: StrategyPathSchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  resumeStrategy: {
    summary: "Resume a paused strategy (command strategy.resume)",
    tag: "commands",
    path: StrategyPathSchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  resetStrategy: {
    summary: "Lift a strategy's risk halt (command risk.reset)",
    tag: "commands",
    path: StrategyPathSchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  flattenStrategy: {
    summary:
      "Cancel a strategy's orders and close its positions at market, in one symbol or all (command strategy.flatten)",
    tag: "commands",
    path: StrategyPathSchema,
    body: FlattenBodySchema,
    bodyOptional: true,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  submitOrder: {
    summary: "Send a manual order for a strategy (command order.submit)",
    tag: "commands",
    body: SubmitOrderBodySchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  cancelOrder: {
    summary: "Cancel a working order (command order.cancel)",
    tag: "commands",
    path: OrderPathSchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  replaceOrder: {
    summary: "Change a working order's quantity or prices (command order.replace)",
    tag: "commands",
    path: OrderPathSchema,
    body: ReplaceOrderBodySchema,
    response: CommandAcceptedSchema,
    problems: COMMAND,
    success: 202,
  },
  token: {
    summary: "A bearer token for a local user (local gateway only: on AWS, Cognito issues tokens)",
    tag: "system",
    body: TokenRequestSchema,
    response: TokenSchema,
    problems: [400, 401, 413, 415],
  },
} as const satisfies Record<string, Contract>;

export type ContractName = keyof typeof CONTRACTS;
