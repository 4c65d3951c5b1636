import { useQuery } from "@tanstack/react-query";
import { alertsQuery, ordersQuery, signalsQuery } from "../api/queries";
import type { Alert, OrderState, Signal } from "../api/types";
import { formatFraction, formatPrice, formatQuantity, formatTime } from "../format";
import { emptyList, QueryView } from "./query-view";

/** The latest signals of every strategy, newest first. */
export function SignalsFeed() {
  const signals = useQuery(signalsQuery());
  return (
    <section className="panel feed" aria-labelledby="signals-title">
      <h2 id="signals-title">Signals</h2>
      <QueryView
        query={signals}
        what="signals"
        empty={emptyList("No signals yet: strategies signal once their indicators have warmed up.")}
      >
        {(items) => (
          <ol className="events">
            {items.map((signal) => (
              <SignalItem key={signal.signalId} signal={signal} />
            ))}
          </ol>
        )}
      </QueryView>
    </section>
  );
}

const SIGNAL_TONE = { long: "up", short: "down", flat: "muted" } as const;

function SignalItem({ signal }: { signal: Signal }) {
  return (
    <li title={signal.reason}>
      <time dateTime={new Date(signal.tsEvent).toISOString()}>{formatTime(signal.tsEvent)}</time>
      <span className={`badge ${SIGNAL_TONE[signal.direction]}`}>{signal.direction}</span>
      <strong>{signal.symbol}</strong> <span className="muted">{signal.strategyId}</span>{" "}
      <span className="num">{formatPrice(signal.price)}</span>
    </li>
  );
}

/** The latest orders at their latest state, newest first: what each asked for, how much filled, at what average price. */
export function OrdersFeed() {
  const orders = useQuery(ordersQuery());
  return (
    <section className="panel feed" aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      <QueryView query={orders} what="orders" empty={emptyList("No orders yet: orders follow signals.")}>
        {(items) => (
          <ol className="events">
            {items.map((order) => (
              <OrderItem key={order.orderId} order={order} />
            ))}
          </ol>
        )}
      </QueryView>
    </section>
  );
}

/** Canceled and rejected orders are done without a fill; the other states are still working or filled. */
const STATUS_TONE: Record<OrderState["status"], string> = {
  submitted: "badge-working",
  working: "badge-working",
  triggered: "badge-working",
  "partially-filled": "badge-working",
  filled: "badge-filled",
  canceled: "muted",
  rejected: "down",
};

function OrderItem({ order }: { order: OrderState }) {
  // the feed is in the order it was submitted; before its order.submitted is stored, its latest event stands in
  const at = order.submittedAt ?? order.updatedAt;
  const terms = orderTerms(order);
  return (
    <li title={order.reason ?? undefined}>
      <time dateTime={new Date(at).toISOString()}>{formatTime(at)}</time>
      <span className={`badge ${order.side === "buy" ? "up" : "down"}`}>{order.side}</span>
      <strong>{order.symbol}</strong>{" "}
      <span className="num" title="filled / ordered">
        {formatQuantity(order.filledQuantity)}/{order.quantity === null ? "?" : formatQuantity(order.quantity)}
      </span>{" "}
      <span className="muted">{order.strategyId}</span>
      {terms && (
        <>
          {" "}
          <span className="muted">{terms}</span>
        </>
      )}{" "}
      <span className={`badge ${STATUS_TONE[order.status]}`}>{order.status}</span>
      {order.averagePrice !== null && (
        <>
          {" "}
          <span className="num">avg {formatPrice(order.averagePrice)}</span>
        </>
      )}
      {order.reason !== null && (
        <>
          {" "}
          <span className={order.status === "rejected" ? "down" : "muted"}>{order.reason}</span>
        </>
      )}
    </li>
  );
}

/**
 * "market", "limit 190.05", "stop 189.90 limit 189.85", then the time in force when it is not
 * the default GTC; empty while the order's submission is not stored.
 */
function orderTerms(order: OrderState): string {
  if (order.type === null) return "";
  const terms =
    order.type === "market"
      ? ["market"]
      : [
          ...(order.stopPrice === null ? [] : [`stop ${formatPrice(order.stopPrice)}`]),
          ...(order.limitPrice === null ? [] : [`limit ${formatPrice(order.limitPrice)}`]),
        ];
  if (order.timeInForce !== null && order.timeInForce !== "GTC") terms.push(order.timeInForce);
  return terms.join(" ");
}

/** Alerts raised when a strategy hit its drawdown limit and was halted. */
export function AlertsFeed() {
  const alerts = useQuery(alertsQuery());
  return (
    <section className="panel feed" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <QueryView query={alerts} what="alerts" empty={emptyList("No alerts: no strategy has hit its drawdown limit.")}>
        {(items) => (
          <ol className="events">
            {items.map((alert) => (
              <AlertItem key={alert.id} alert={alert} />
            ))}
          </ol>
        )}
      </QueryView>
    </section>
  );
}

function AlertItem({ alert }: { alert: Alert }) {
  return (
    <li>
      <time dateTime={new Date(alert.tsEvent).toISOString()}>{formatTime(alert.tsEvent)}</time>
      <span className="badge badge-halted">halted</span>
      <strong>{alert.strategyId}</strong> <span>{alert.message}</span>{" "}
      <span className="muted">
        drawdown {formatFraction(alert.drawdown)} / limit {formatFraction(alert.limit)}
      </span>
    </li>
  );
}
