/**
 * The API's response types, derived from the gateway's zod schemas so the dashboard cannot
 * drift from the contract. Type-only imports: none of zod or the schemas reaches the bundle.
 */
import type { Bar as BarSchema, Signal as SignalSchema } from "@tickflow/gateway/schemas";
import type { z } from "zod";

export type {
  Alert,
  DependencyHealth,
  Health,
  Instrument,
  OrderEvent,
  Portfolio,
  Position,
  Problem,
  Quote,
  Strategy,
} from "@tickflow/gateway/schemas";

export type Bar = z.infer<typeof BarSchema>;
export type BarInterval = Bar["interval"];
export type Signal = z.infer<typeof SignalSchema>;
