/**
 * The API's response types, derived from the gateway's zod schemas so the dashboard cannot
 * drift from the contract. Type-only imports: none of zod or the schemas reaches the bundle.
 */
import type {
  Bar as BarSchema,
  FillPageSchema,
  OrderPageSchema,
  Signal as SignalSchema,
  SignalPageSchema,
  TradePageSchema,
} from "@tickflow/gateway/schemas";
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
