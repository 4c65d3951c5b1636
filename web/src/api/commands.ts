import type { CommandRequest } from "./client";
import type { OrderRequest } from "./types";

/**
 * The write routes, one builder each (DESIGN.md, Public API: control issue). Every one answers
 * 202 with the command's id; the engine applies it, or rejects it with a reason, a moment later.
 */

const strategyPath = (id: string) => `/api/strategies/${encodeURIComponent(id)}`;
const orderPath = (id: string) => `/api/orders/${encodeURIComponent(id)}`;

/** Parameter values as a command carries them: flat scalars. */
export type ParamValues = Record<string, number | string | boolean>;

/** What a new strategy instance is: its id, kind, symbols and the parameters that differ from the kind's defaults. */
export interface NewStrategy {
  id: string;
  kind: string;
  symbols: string[];
  params?: ParamValues;
}

/** A change to a working order: its total quantity, its limit price, its stop price. */
export interface OrderChange {
  quantity?: number;
  limitPrice?: number;
  stopPrice?: number;
}

export const addStrategy = (strategy: NewStrategy): CommandRequest => ({
  method: "POST",
  path: "/api/strategies",
  body: strategy,
});

export const removeStrategy = (id: string): CommandRequest => ({ method: "DELETE", path: strategyPath(id) });

/** Merged onto the current parameters: only the ones named change. */
export const changeParams = (id: string, params: ParamValues): CommandRequest => ({
  method: "PATCH",
  path: strategyPath(id),
  body: { params },
});

export const pauseStrategy = (id: string): CommandRequest => ({ method: "POST", path: `${strategyPath(id)}/pause` });

export const resumeStrategy = (id: string): CommandRequest => ({ method: "POST", path: `${strategyPath(id)}/resume` });

/** Lifts a risk halt (refused with not-halted otherwise). */
export const resetStrategy = (id: string): CommandRequest => ({ method: "POST", path: `${strategyPath(id)}/reset` });

/** Closes the strategy's position in one symbol at market, or in every symbol it trades. */
export const flattenStrategy = (id: string, symbol?: string): CommandRequest => ({
  method: "POST",
  path: `${strategyPath(id)}/flatten`,
  ...(symbol === undefined ? {} : { body: { symbol } }),
});

/** A manual order, booked in the strategy's account. */
export const submitOrder = (strategyId: string, order: OrderRequest): CommandRequest => ({
  method: "POST",
  path: "/api/orders",
  body: { strategyId, ...order },
});

export const cancelOrder = (orderId: string): CommandRequest => ({ method: "DELETE", path: orderPath(orderId) });

export const replaceOrder = (orderId: string, change: OrderChange): CommandRequest => ({
  method: "PATCH",
  path: orderPath(orderId),
  body: change,
});
