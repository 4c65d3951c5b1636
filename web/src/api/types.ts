/**
 * The API's response types, derived from the gateway's zod schemas so the dashboard cannot
 * drift from the contract. Type-only imports: none of zod or the schemas reaches the bundle.
 */
import type {
  Bar as BarSchema,
  CommandAcceptedSchema,
  CommandPageSchema,
  CommandViewSchema,
  EquityPageSchema,
  FillPageSchema,
  OrderPageSchema,
  Signal as SignalSchema,
  SignalPageSchema,
  StrategyKindsSchema,
  TokenSchema,
  TradePageSchema,
} from "@tickflow/gateway/schemas";
import type { CommandKind, CommandRejectReason, OrderRequest, Role } from "@tickflow/core";
import type { z } from "zod";

export type {
  Alert,
  DependencyHealth,
  Health,
  Instrument,
  Portfolio,
  Position,
  Problem,
  Quote,
  Strategy,
} from "@tickflow/gateway/schemas";

export type Bar = z.infer<typeof BarSchema>;
export type BarInterval = Bar["interval"];
export type Signal = z.infer<typeof SignalSchema>;

/** The history routes answer one page at a time: its items and the cursor of the next (null on the last). */
export type SignalPage = z.infer<typeof SignalPageSchema>;
export type OrderPage = z.infer<typeof OrderPageSchema>;
export type FillPage = z.infer<typeof FillPageSchema>;
export type TradePage = z.infer<typeof TradePageSchema>;

/** An order at its latest state (status, filled quantity, average price), as the read side keeps it. */
export type OrderState = OrderPage["items"][number];
/** One order.filled: an order filled in parts has several. */
export type Fill = FillPage["items"][number];
/** A closed round trip: flat to flat, entry and exit averaged. */
export type Trade = TradePage["items"][number];

// ---------------------------------------------------------------------------------------------
// Control (commands) and auth: the write routes' answers, from the gateway's schemas too; the
// kinds, reasons and roles are core's enums (type-only).

export type { CommandKind, CommandRejectReason, OrderRequest, Role };

/** What every write route answers with 202, with `Location: /api/commands/{commandId}`. */
export type CommandAccepted = z.infer<typeof CommandAcceptedSchema>;

/** A command as the audit (GET /api/commands/{id}) keeps it: who sent what, and its outcome once the engine has one. */
export type CommandRecord = z.infer<typeof CommandViewSchema>;
export type CommandStatus = CommandRecord["status"];
export type CommandPage = z.infer<typeof CommandPageSchema>;

/**
 * A JSON Schema as z.toJSONSchema writes a strategy's parameters (input form): an object of
 * scalar properties with their bounds, enums and defaults. Only what the forms read is typed.
 */
export interface JsonSchema {
  $schema?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  title?: string;
  description?: string;
}

/** GET /api/strategy-kinds: each kind the engine can run, its parameters' schema typed as far as the forms read it. */
export type StrategyKind = Omit<z.infer<typeof StrategyKindsSchema>[number], "params"> & { params: JsonSchema };

/** POST /api/auth/token (local adapter only). */
export type TokenAnswer = z.infer<typeof TokenSchema>;

/** GET /api/equity: one strategy's (or the portfolio's) equity samples, oldest first, a page at a time. */
export type EquityPage = z.infer<typeof EquityPageSchema>;
/** One equity sample of the read side: equity, net PnL and drawdown at a closed bar's end. */
export type EquityPoint = EquityPage["items"][number];
