import { useQuery } from "@tanstack/react-query";
import { alertsQuery, ordersQuery, signalsQuery } from "../api/queries";
import type { Alert, OrderEvent, Signal } from "../api/types";
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

/** The latest order events: submitted, filled and rejected, newest first. */
export function OrdersFeed() {
  const orders = useQuery(ordersQuery());
  return (
    <section className="panel feed" aria-labelledby="orders-title">
      <h2 id="orders-title">Orders and fills</h2>
      <QueryView query={orders} what="orders" empty={emptyList("No orders yet: orders follow signals.")}>
        {(items) => (
          <ol className="events">
            {items.map((order) => (
              <OrderItem key={`${order.type}:${order.data.orderId}`} order={order} />
            ))}
          </ol>
        )}
      </QueryView>
    </section>
  );
}

function OrderItem({ order }: { order: OrderEvent }) {
  const { data } = order;
  return (
    <li title={order.type === "order.rejected" ? order.data.detail : undefined}>
      <time dateTime={new Date(data.tsEvent).toISOString()}>{formatTime(data.tsEvent)}</time>
      <span className={`badge ${data.side === "buy" ? "up" : "down"}`}>{data.side}</span>
      <strong>{data.symbol}</strong> <span className="num">{formatQuantity(data.quantity)}</span>{" "}
      <span className="muted">{data.strategyId}</span> <OrderOutcome order={order} />
    </li>
  );
}

function OrderOutcome({ order }: { order: OrderEvent }) {
  switch (order.type) {
    case "order.submitted":
      return <span className="muted">submitted</span>;
    case "order.filled":
      return <span>filled @ {formatPrice(order.data.price)}</span>;
    case "order.rejected":
      return <span className="down">rejected: {order.data.reason}</span>;
  }
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
