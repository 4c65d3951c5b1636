import { useQuery } from "@tanstack/react-query";
import { alertsQuery, ordersQuery, signalsQuery } from "../api/queries";
import type { Alert, OrderEvent, Signal } from "../api/types";
import { formatFraction, formatPrice, formatQuantity, formatTime } from "../format";
import { emptyList, QueryView } from "./query-view";

type OrderSubmitted = Extract<OrderEvent, { type: "order.submitted" }>["data"];

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

/** The latest order events, newest first: submissions, acceptances, triggers, fills, replaces, cancels and rejections. */
export function OrdersFeed() {
  const orders = useQuery(ordersQuery());
  return (
    <section className="panel feed" aria-labelledby="orders-title">
      <h2 id="orders-title">Orders and fills</h2>
      <QueryView query={orders} what="orders" empty={emptyList("No orders yet: orders follow signals.")}>
        {(items) => (
          <ol className="events">
            {items.map((order) => (
              <OrderItem key={orderKey(order)} order={order} />
            ))}
          </ol>
        )}
      </QueryView>
    </section>
  );
}

/** An order has at most one event of each kind but fills and replaces: its fill number, or the replace's time, tells those apart. */
function orderKey(order: OrderEvent): string {
  const key = `${order.type}:${order.data.orderId}`;
  if (order.type === "order.filled") return `${key}:${order.data.fillNo}`;
  if (order.type === "order.replaced") return `${key}:${order.data.tsInit}`;
  return key;
}

function OrderItem({ order }: { order: OrderEvent }) {
  const { data } = order;
  const quantity = eventQuantity(order);
  return (
    <li title={order.type === "order.rejected" ? order.data.detail : undefined}>
      <time dateTime={new Date(data.tsEvent).toISOString()}>{formatTime(data.tsEvent)}</time>
      <span className={`badge ${data.side === "buy" ? "up" : "down"}`}>{data.side}</span>
      <strong>{data.symbol}</strong>{" "}
      {quantity !== undefined && (
        <>
          <span className="num">{formatQuantity(quantity)}</span>{" "}
        </>
      )}
      <span className="muted">{data.strategyId}</span> <OrderOutcome order={order} />
    </li>
  );
}

/** The quantity the event is about: ordered, filled by this fill, canceled or refused; acceptances and triggers change none. */
function eventQuantity(order: OrderEvent): number | undefined {
  switch (order.type) {
    case "order.accepted":
    case "order.triggered":
      return undefined;
    case "order.canceled":
      return order.data.canceledQuantity;
    default:
      return order.data.quantity;
  }
}

function OrderOutcome({ order }: { order: OrderEvent }) {
  switch (order.type) {
    case "order.submitted":
      return <span className="muted">submitted {orderTerms(order.data)}</span>;
    case "order.accepted":
      return <span className="muted">accepted</span>;
    case "order.triggered":
      return (
        <span>
          triggered @ {formatPrice(order.data.touchPrice)} (stop {formatPrice(order.data.stopPrice)})
        </span>
      );
    case "order.filled": {
      const fill = order.data;
      return (
        <span>
          filled @ {formatPrice(fill.price)} {fill.liquidity}
          {fill.leavesQuantity > 0 && `, ${formatQuantity(fill.leavesQuantity)} left`}
        </span>
      );
    }
    case "order.canceled":
      return <span className="muted">canceled: {order.data.reason}</span>;
    case "order.replaced":
      return <span className="muted">{["replaced", ...prices(order.data)].join(" ")}</span>;
    case "order.rejected":
      return <span className="down">rejected: {order.data.reason}</span>;
  }
}

/** A stop and a limit price as a trader writes them: "stop 189.90", "limit 189.85". */
function prices(order: { stopPrice: number | null; limitPrice: number | null }): string[] {
  return [
    ...(order.stopPrice === null ? [] : [`stop ${formatPrice(order.stopPrice)}`]),
    ...(order.limitPrice === null ? [] : [`limit ${formatPrice(order.limitPrice)}`]),
  ];
}

/** "market", "limit 190.05", "stop 189.90 limit 189.85", then what is not the default: IOC, FOK, GTD with its expiry, reduce-only, post-only. */
function orderTerms(order: OrderSubmitted): string {
  const terms = order.type === "market" ? ["market"] : prices(order);
  if (order.timeInForce === "GTD" && order.expireAt !== null) terms.push(`GTD ${formatTime(order.expireAt)}`);
  else if (order.timeInForce !== "GTC") terms.push(order.timeInForce);
  if (order.reduceOnly) terms.push("reduce-only");
  if (order.postOnly) terms.push("post-only");
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
