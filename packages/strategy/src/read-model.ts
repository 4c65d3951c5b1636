import type {
  BarInterval,
  BarView,
  EngineEvent,
  OrderEventView,
  RiskEventView,
  SignalView,
  TradeClosed,
} from "@tickflow/core";

/** Bounded list that keeps the newest entries. */
class Recent<T> {
  items: T[] = [];
  constructor(private readonly limit: number) {}
  push(item: T): void {
    this.items.push(item);
    // trim in chunks so the hot path is not a shift per push
    if (this.items.length > this.limit * 2) this.items.splice(0, this.items.length - this.limit);
  }
  newest(limit: number, keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < Math.min(limit, this.limit); i--)
      if (keep(this.items[i]!)) out.push(this.items[i]!);
    return out;
  }
}

/**
 * What the read API shows of the engine's committed output: recent bars, signals, order events,
 * closed trades and risk events, as their read views (core's views.ts; trades as the events'
 * data). Fed after each transaction commits, and primed from the topics' tails at start.
 */
export class ReadModel {
  private readonly bars = new Map<string, Recent<BarView>>();
  readonly signals: Recent<SignalView>;
  readonly orders: Recent<OrderEventView>;
  readonly trades: Recent<TradeClosed>;
  readonly risk: Recent<RiskEventView>;

  constructor(private readonly limit: number) {
    this.signals = new Recent(limit);
    this.orders = new Recent(limit * 2);
    this.trades = new Recent(limit);
    this.risk = new Recent(limit);
  }

  apply(event: EngineEvent): void {
    switch (event.type) {
      case "bar.closed": {
        const key = `${event.data.symbol}:${event.data.interval}`;
        let list = this.bars.get(key);
        if (!list) this.bars.set(key, (list = new Recent(this.limit)));
        const last = list.items.at(-1);
        // primed history and live output can overlap by a bar: keep them in time order, once
        if (!last || event.data.start > last.start) list.push(event.data);
        break;
      }
      case "signal.generated":
        this.signals.push(event.data);
        break;
      case "order.submitted":
      case "order.accepted":
      case "order.triggered":
      case "order.filled":
      case "order.canceled":
      case "order.replaced":
      case "order.rejected":
        this.orders.push({ type: event.type, data: event.data } as OrderEventView);
        break;
      case "trade.closed":
        this.trades.push(event.data);
        break;
      case "risk.halted":
      case "risk.reset":
        this.risk.push({ type: event.type, data: event.data } as RiskEventView);
        break;
      default:
        break;
    }
  }

  /** Oldest first, at most `limit`. */
  barsFor(symbol: string, interval: BarInterval, limit: number): BarView[] {
    return (this.bars.get(`${symbol}:${interval}`)?.newest(limit) ?? []).reverse();
  }
}
