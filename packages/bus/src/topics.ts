import type { DomainEvent, EventType } from "@tickflow/core";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface TopicSpec {
  /** The Kafka topic name: the only place these strings are written. */
  readonly name: string;
  readonly partitions: number;
  /** What the record key is, for people reading the registry. */
  readonly key: string;
  /** Event types that may appear on the topic (empty: raw records, e.g. the DLQ). */
  readonly events: readonly EventType[];
  readonly config: Readonly<Record<string, string>>;
}

/**
 * The topic registry (DESIGN.md, Events on Kafka). Every topic name in the code base comes from
 * here. `state` is the strategy worker's changelog: its engine snapshot, committed in the same
 * transaction as the offsets it corresponds to.
 */
export const TOPICS = {
  quotes: {
    name: "md.quotes.v1",
    partitions: 6,
    key: "symbol",
    events: ["quote.tick"],
    config: { "cleanup.policy": "delete", "retention.ms": String(DAY) },
  },
  bars: {
    name: "md.bars.v1",
    partitions: 6,
    key: "symbol:interval",
    events: ["bar.closed"],
    config: { "cleanup.policy": "delete", "retention.ms": String(7 * DAY) },
  },
  signals: {
    name: "strategy.signals.v1",
    partitions: 3,
    key: "strategy id",
    events: ["signal.generated"],
    config: { "cleanup.policy": "delete", "retention.ms": String(7 * DAY) },
  },
  orders: {
    name: "strategy.orders.v1",
    partitions: 3,
    key: "strategy id",
    events: [
      "order.submitted",
      "order.accepted",
      "order.triggered",
      "order.filled",
      "order.canceled",
      "order.replaced",
      "order.rejected",
    ],
    config: { "cleanup.policy": "delete", "retention.ms": String(7 * DAY) },
  },
  trades: {
    name: "strategy.trades.v1",
    partitions: 3,
    key: "strategy id",
    events: ["trade.closed"],
    config: { "cleanup.policy": "delete", "retention.ms": String(30 * DAY) },
  },
  positions: {
    name: "strategy.positions.v1",
    partitions: 3,
    key: "strategyId:symbol",
    events: ["position.changed"],
    // compacted: the latest snapshot per strategy and symbol is kept forever
    config: { "cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1", "segment.ms": String(HOUR) },
  },
  risk: {
    name: "strategy.risk.v1",
    partitions: 1,
    key: "strategy id",
    events: ["risk.halted", "risk.reset"],
    config: { "cleanup.policy": "delete", "retention.ms": String(30 * DAY) },
  },
  equity: {
    name: "strategy.equity.v1",
    partitions: 3,
    key: 'strategy id (portfolio.sampled: "portfolio")',
    events: ["equity.sampled", "portfolio.sampled"],
    config: { "cleanup.policy": "delete", "retention.ms": String(30 * DAY) },
  },
  commands: {
    name: "strategy.commands.v1",
    partitions: 3,
    key: "strategy id",
    // the gateway writes command.submitted, the strategy worker each one's outcome after it
    events: ["command.submitted", "command.applied", "command.rejected"],
    config: { "cleanup.policy": "delete", "retention.ms": String(30 * DAY) },
  },
  dlq: {
    name: "dlq.v1",
    partitions: 1,
    key: "original key",
    events: [],
    config: { "cleanup.policy": "delete", "retention.ms": String(7 * DAY) },
  },
  state: {
    name: "strategy.state.v1",
    partitions: 1,
    key: "processor state key",
    events: [],
    config: {
      "cleanup.policy": "compact",
      "min.cleanable.dirty.ratio": "0.1",
      "segment.ms": String(HOUR),
      "max.message.bytes": String(8 * 1024 * 1024),
    },
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicId = keyof typeof TOPICS;
export const TOPIC_IDS = Object.keys(TOPICS) as TopicId[];

/** The topic name for an id, with an optional namespace prefix (tests isolate themselves with one). */
export function topicName(id: TopicId, prefix = ""): string {
  return `${prefix}${TOPICS[id].name}`;
}

/** The key of `portfolio.sampled`: all of an engine's samples on one partition, in order. */
export const PORTFOLIO_KEY = "portfolio";

/** Which topic an event goes to, and its key: per-symbol and per-strategy order hold by partition. */
export function routeEvent(event: DomainEvent): { topic: TopicId; key: string } {
  switch (event.type) {
    case "quote.tick":
      return { topic: "quotes", key: event.data.symbol };
    case "bar.closed":
      return { topic: "bars", key: `${event.data.symbol}:${event.data.interval}` };
    case "signal.generated":
      return { topic: "signals", key: event.data.strategyId };
    case "order.submitted":
    case "order.accepted":
    case "order.triggered":
    case "order.filled":
    case "order.canceled":
    case "order.replaced":
    case "order.rejected":
      return { topic: "orders", key: event.data.strategyId };
    case "trade.closed":
      return { topic: "trades", key: event.data.strategyId };
    case "position.changed":
      return { topic: "positions", key: `${event.data.strategyId}:${event.data.symbol}` };
    case "risk.halted":
    case "risk.reset":
      return { topic: "risk", key: event.data.strategyId };
    case "equity.sampled":
      return { topic: "equity", key: event.data.strategyId };
    case "portfolio.sampled":
      return { topic: "equity", key: PORTFOLIO_KEY };
    case "command.submitted":
    case "command.applied":
    case "command.rejected":
      return { topic: "commands", key: event.data.strategyId };
  }
}
