import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { cancelOrder } from "../api/commands";
import { instrumentsQuery, openOrdersQuery } from "../api/queries";
import { useCanTrade } from "../api/session";
import type { OrderState } from "../api/types";
import { formatPrice, formatQuantity, formatTime } from "../format";
import { CommandAnswer, useCommand } from "./commands";
import { emptyList, QueryView } from "./query-view";

// the replace form checks prices on the instrument's grid with core's code: loaded for traders only
const ReplaceOrderForm = lazy(() => import("./replace-order-form").then((m) => ({ default: m.ReplaceOrderForm })));

/**
 * The orders that can still fill (working, triggered, partially filled), newest first; a trader
 * can cancel each or replace its quantity and prices.
 */
export function OpenOrders() {
  const orders = useQuery(openOrdersQuery());
  const canTrade = useCanTrade();
  const precision = useQuery({
    ...instrumentsQuery(),
    select: (all) => new Map(all.map((i) => [i.symbol, i.pricePrecision])),
  }).data;
  const [replacing, setReplacing] = useState<string | null>(null);
  return (
    <section className="panel open-orders" aria-labelledby="open-orders-title">
      <h2 id="open-orders-title">Open orders</h2>
      <QueryView
        query={orders}
        what="open orders"
        empty={emptyList("No open orders: a limit or stop order rests here until it fills or is canceled.")}
      >
        {(rows) => (
          <div className="scroll-x">
            <table data-testid="open-orders">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Symbol</th>
                  <th scope="col">Side</th>
                  <th scope="col" className="text">
                    Terms
                  </th>
                  <th scope="col">Filled / qty</th>
                  <th scope="col">Status</th>
                  <th scope="col">Since</th>
                  {canTrade && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {rows.map((order) => (
                  <OrderRow
                    key={order.orderId}
                    order={order}
                    precision={precision?.get(order.symbol)}
                    canTrade={canTrade}
                    replacing={replacing === order.orderId}
                    onReplace={() => setReplacing((id) => (id === order.orderId ? null : order.orderId))}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}

interface OrderRowProps {
  order: OrderState;
  precision: number | undefined;
  canTrade: boolean;
  replacing: boolean;
  onReplace: () => void;
}

function OrderRow({ order, precision, canTrade, replacing, onReplace }: OrderRowProps) {
  const at = order.submittedAt ?? order.updatedAt;
  return (
    <>
      <tr data-testid="open-order" data-order-id={order.orderId} data-status={order.status}>
        <th scope="row">
          <span className="order-id">{order.orderId}</span>
          <span className="sub">{order.strategyId}</span>
        </th>
        <td>{order.symbol}</td>
        <td className={order.side === "buy" ? "up" : "down"}>{order.side}</td>
        <td className="text">{terms(order, precision)}</td>
        <td className="num">
          {formatQuantity(order.filledQuantity)} / {order.quantity === null ? "?" : formatQuantity(order.quantity)}
        </td>
        <td>
          <span className="badge badge-working">{order.status}</span>
        </td>
        <td>
          <time dateTime={new Date(at).toISOString()}>{formatTime(at)}</time>
        </td>
        {canTrade && (
          <td className="text">
            <OrderActions order={order} replacing={replacing} onReplace={onReplace} />
          </td>
        )}
      </tr>
      {canTrade && replacing && (
        <tr className="detail-row">
          <td colSpan={8}>
            <Suspense fallback={<p className="state">Loading the replace form…</p>}>
              <ReplaceOrderForm order={order} onClose={onReplace} />
            </Suspense>
          </td>
        </tr>
      )}
    </>
  );
}

function OrderActions({
  order,
  replacing,
  onReplace,
}: {
  order: OrderState;
  replacing: boolean;
  onReplace: () => void;
}) {
  const cancel = useCommand();
  return (
    <div className="actions">
      <div className="buttons">
        <button
          type="button"
          className="action danger"
          aria-label={`Cancel order ${order.orderId}`}
          disabled={cancel.isPending}
          onClick={() =>
            cancel.mutate({
              request: cancelOrder(order.orderId),
              label: `Cancel ${order.orderId} (${order.side} ${order.symbol})`,
            })
          }
        >
          Cancel
        </button>
        <button
          type="button"
          className="action"
          aria-label={`Replace order ${order.orderId}`}
          aria-expanded={replacing}
          onClick={onReplace}
        >
          Replace
        </button>
      </div>
      <CommandAnswer mutation={cancel} compact />
    </div>
  );
}

/** "limit 150.00", "stop 149.50 limit 149.40", with the time in force when it is not GTC. */
function terms(order: OrderState, precision: number | undefined): string {
  if (order.type === null) return "";
  const parts =
    order.type === "market"
      ? ["market"]
      : [
          ...(order.stopPrice === null ? [] : [`stop ${formatPrice(order.stopPrice, precision)}`]),
          ...(order.limitPrice === null ? [] : [`limit ${formatPrice(order.limitPrice, precision)}`]),
        ];
  if (order.timeInForce !== null && order.timeInForce !== "GTC") parts.push(order.timeInForce);
  if (order.parentId !== null) parts.push(`(bracket of ${order.parentId})`);
  return parts.join(" ");
}
