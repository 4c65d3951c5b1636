import {
  decodeEvent,
  encodeEvent,
  KafkaBus,
  type DecodedEvent,
  type OutgoingRecord,
  type TopicId,
} from "@tickflow/bus";
import type { CommandKind, CommandSubmitted } from "@tickflow/core";

/** A KAFKA_TOPIC_PREFIX of its own for a test run, so runs on one broker never see each other's records. */
export function uniquePrefix(name: string): string {
  return `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
}

/** Every committed event on a topic, decoded (read_committed, all partitions). */
export async function topicEvents(brokers: string, prefix: string, topic: TopicId): Promise<DecodedEvent[]> {
  const bus = new KafkaBus({ clientId: "test-reader", brokers: brokers.split(",") }, prefix);
  try {
    return (await bus.readTail(topic, 10_000_000)).map((r) => decodeEvent(r.value));
  } finally {
    await bus.close();
  }
}

/** An encoded `quote.tick` of `symbol` numbered `seq` (bid 100, ask 100.01, sizes 1), at `tsEvent` (seq unless given). */
export function tickValue(symbol: string, seq: number, tsEvent = seq): Buffer {
  return encodeEvent(
    {
      type: "quote.tick",
      id: `${symbol}:${seq}`,
      ts: tsEvent,
      data: { symbol, seq, bid: 100, ask: 100.01, bidSize: 1, askSize: 1, tsEvent, tsInit: tsEvent },
    },
    "test",
  );
}

/** The same quote as a record for the quotes topic, keyed by its symbol. */
export function tickRecord(symbol: string, seq: number, tsEvent = seq): OutgoingRecord {
  return { topic: "quotes", key: symbol, value: tickValue(symbol, seq, tsEvent) };
}

/** A `command.submitted` record as the gateway publishes it (a trader "test"), keyed by its strategy. */
export function commandRecord(
  commandId: string,
  kind: CommandKind,
  strategyId: string,
  payload: object,
  submittedAt = 1_000,
): OutgoingRecord {
  return {
    topic: "commands",
    key: strategyId,
    value: encodeEvent(
      {
        type: "command.submitted",
        id: commandId,
        ts: submittedAt,
        data: {
          commandId,
          kind,
          strategyId,
          payload,
          actor: { subject: "test", username: "test", role: "trader" },
          requestHash: "0".repeat(64),
          submittedAt,
        } as CommandSubmitted,
      },
      "test",
    ),
  };
}

/**
 * The projector's retention at its longest (its env): the suites' simulated clocks start months
 * ago, and the projector's minutely prune would delete a run's bars and samples while it runs.
 */
export const RETAIN_ALL = {
  PJ_RETAIN_BARS_DAYS: "3650",
  PJ_RETAIN_SIGNALS_DAYS: "3650",
  PJ_RETAIN_ORDER_EVENTS_DAYS: "3650",
  PJ_RETAIN_EQUITY_DAYS: "3650",
} as const;
