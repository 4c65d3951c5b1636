import {
  consumerLag,
  decodeEvent,
  DecodeError,
  encodeEvent,
  routeEvent,
  toDlq,
  type Bus,
  type BusRecord,
  type OutgoingRecord,
  type Processor,
  type TopicId,
} from "@tickflow/bus";
import {
  DEFAULT_UNIVERSE,
  QuoteRejectReasonSchema,
  TradingEngine,
  Universe,
  type EngineEvent,
  type EngineSnapshot,
  type StrategyDefinition,
  type StrategyDetailView,
  type StrategyView,
} from "@tickflow/core";
import { type Metrics } from "@tickflow/metrics";
import { HttpProblem, startServiceHttp } from "@tickflow/runtime";
import type { Logger } from "pino";
import type { StrategyWorkerConfig } from "./config";

export const SERVICE = "strategy";

export interface StrategyDeps {
  config: StrategyWorkerConfig;
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
  /** The strategy kinds the configuration may name (core's STRATEGIES unless given). */
  registry?: ReadonlyMap<string, StrategyDefinition>;
}

export interface StrategyService {
  port: number;
  /** Settles with the processor: resolves on stop(), rejects when it fails (the process should exit). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** What the processor commits with every batch's offsets. */
interface ProcessorState {
  engine: EngineSnapshot;
}

const LAG_INTERVAL_MS = 5_000;

/** What the open transaction applied since its start state, in order: replayed to roll back a record that threw. */
interface TxEntry {
  record: BusRecord;
  stamp: number;
}

/** What one input record led to. */
type RecordOutcome =
  | { kind: "applied"; symbol: string; events: EngineEvent[]; outputs: OutgoingRecord[] }
  /** A command answered (its outcome among the events), or one answered before (none). */
  | { kind: "command"; events: EngineEvent[]; outputs: OutgoingRecord[] }
  | { kind: "duplicate" }
  /** A symbol of the universe this engine neither trades nor builds bars for. */
  | { kind: "ignored" }
  | { kind: "dead-letter"; reason: string; message: string };

/** What a batch changed, counted in the metrics only once its transaction commits. */
interface Uncommitted {
  events: EngineEvent[];
  applied: Map<string, number>;
  dropped: Map<string, number>;
  deadLetters: Map<string, number>;
}
const QUOTE_REJECT_REASONS: ReadonlySet<string> = new Set(QuoteRejectReasonSchema.options);
const nothingUncommitted = (): Uncommitted => ({
  events: [],
  applied: new Map(),
  dropped: new Map(),
  deadLetters: new Map(),
});
const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * The strategy worker: consumes md.quotes.v1 and runs the trading engine, publishing bars,
 * signals, orders, fills, closed trades, positions and risk events exactly once (one transaction
 * per batch with the engine snapshot and the input offsets), applies the commands of
 * strategy.commands.v1 in the same transactions (the only way to change what it runs), and serves
 * its strategies with their accounts over HTTP (read only).
 */
export async function startStrategy(deps: StrategyDeps): Promise<StrategyService> {
  const { config, bus, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const universe = new Universe(DEFAULT_UNIVERSE);
  const engine = new TradingEngine(config.engine, universe, deps.registry);
  const lastTickAt = new Map<string, number>();
  /** Missing ticks (seq gaps) already counted in the metric. */
  let countedMissing = 0;
  let uncommitted = nothingUncommitted();
  /** The engine as the open transaction began (the last commit), and what it applied since: a record that throws is rolled back with these. */
  let txStart: EngineSnapshot | null = null;
  let txLog: TxEntry[] = [];
  let lastCommitAt = 0;
  let failed: unknown = null;

  await bus.ensureTopics();
  const recordMetrics = (events: EngineEvent[]) => {
    const t = now();
    for (const e of events) {
      switch (e.type) {
        case "signal.generated":
          metrics.inc("tickflow_signals_total", {
            strategy: e.data.strategyId,
            symbol: e.data.symbol,
            direction: e.data.direction,
          });
          metrics.observe(
            "tickflow_tick_to_signal_seconds",
            { strategy: e.data.strategyId },
            Math.max(0, t - e.data.tsEvent) / 1_000,
          );
          break;
        case "order.submitted":
        case "order.accepted":
        case "order.canceled":
        case "order.rejected":
          metrics.inc("tickflow_orders_total", { strategy: e.data.strategyId, outcome: e.type.slice("order.".length) });
          break;
        case "order.filled":
          metrics.inc("tickflow_fills_total", {
            strategy: e.data.strategyId,
            symbol: e.data.symbol,
            side: e.data.side,
          });
          // an order fills in one or more fills: it counts as filled once, with its last
          if (e.data.leavesQuantity === 0)
            metrics.inc("tickflow_orders_total", { strategy: e.data.strategyId, outcome: "filled" });
          break;
        case "command.applied":
          metrics.inc("tickflow_commands_total", { kind: e.data.kind, outcome: "applied", reason: "" });
          break;
        case "command.rejected":
          metrics.inc("tickflow_commands_total", { kind: e.data.kind, outcome: "rejected", reason: e.data.reason });
          break;
        default:
          break;
      }
    }
  };

  const quotesTopic = bus.topicName("quotes");
  const encoded = (event: EngineEvent): OutgoingRecord => ({
    ...routeEvent(event),
    value: encodeEvent(event, SERVICE),
  });

  /**
   * A command record: `command.submitted` is applied (its outcome among the events); the outcomes
   * this worker wrote after earlier commands come back on the same topic and are skipped.
   */
  const applyCommand = (record: BusRecord): RecordOutcome => {
    let command;
    try {
      command = decodeEvent(record.value, ["command.submitted", "command.applied", "command.rejected"]);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return { kind: "dead-letter", reason: error.reason, message: error.message };
    }
    if (command.type !== "command.submitted") return { kind: "ignored" };
    // partitions are keyed by strategy: a command keyed otherwise would sit in another strategy's order
    if (record.key !== command.data.strategyId)
      return {
        kind: "dead-letter",
        reason: "key-mismatch",
        message: `record key ${JSON.stringify(record.key?.slice(0, 64) ?? null)} is not the command's strategy ${command.data.strategyId}`,
      };
    const events = engine.onCommand(command.data);
    return { kind: "command", events, outputs: events.map(encoded) };
  };

  /** One input record through the guard and the engine; throws only when processing itself fails. */
  const apply = (record: BusRecord, stamp: number): RecordOutcome => {
    if (record.topic === "commands") return applyCommand(record);
    let tick;
    try {
      tick = decodeEvent(record.value, ["quote.tick"]);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return { kind: "dead-letter", reason: error.reason, message: error.message };
    }
    if (tick.type !== "quote.tick") throw new TypeError(`decodeEvent let ${tick.type} through`);
    // partitions are keyed by symbol: a record keyed otherwise sits in another symbol's order
    if (record.key !== tick.data.symbol)
      return {
        kind: "dead-letter",
        reason: "key-mismatch",
        message: `record key ${JSON.stringify(record.key?.slice(0, 64) ?? null)} is not the quote's symbol ${tick.data.symbol}`,
      };
    const outcome = engine.onQuote(tick.data, stamp);
    switch (outcome.status) {
      case "rejected":
        return { kind: "dead-letter", reason: outcome.reason, message: outcome.detail };
      case "duplicate":
        return { kind: "duplicate" };
      case "ignored":
        return { kind: "ignored" };
      case "applied":
        return {
          kind: "applied",
          symbol: tick.data.symbol,
          events: outcome.events,
          outputs: outcome.events.map(encoded),
        };
    }
  };

  /** The engine as it was before the record being processed: the transaction's start state, then everything applied since. */
  const rollBack = () => {
    engine.restore(txStart!);
    for (const entry of txLog) apply(entry.record, entry.stamp);
  };

  const processor: Processor = await bus.runProcessor<ProcessorState>({
    groupId: config.groupId,
    // commands in the same transaction as the quotes: each is applied exactly once, where the worker read it among them
    inputs: ["quotes", "commands"],
    transactionalId: `${config.groupId}-engine`,
    stateKey: config.groupId,
    restore: (state) => {
      if (state) {
        const fresh = engine.restore(state.engine);
        logger.info({ ticks: state.engine.stats.ticks }, "restored engine state committed with the current offsets");
        if (fresh.length > 0)
          logger.warn(
            { strategies: fresh },
            "these strategies' configuration changed (or they are new): they start with a fresh account",
          );
      } else logger.info("no committed state: starting fresh");
      countedMissing = engine.stats.missingTicks;
      txStart = engine.snapshot();
    },
    process: (records) => {
      const stamp = now();
      const outputs: OutgoingRecord[] = [];
      // one log line per reason and batch, not per record: a flood of bad records must not flood the log too
      const deadLettered = new Map<
        string,
        { count: number; first: { partition: number; offset: string; error: string } }
      >();
      for (const record of records) {
        let outcome: RecordOutcome;
        try {
          outcome = apply(record, stamp);
          txLog.push({ record, stamp });
        } catch (error) {
          // A record whose processing throws must not crash-loop the worker: put the engine back as
          // it was before the record (the transaction's start plus what came since) and dead-letter it.
          rollBack();
          logger.error(
            { err: error, partition: record.partition, offset: record.offset },
            "processing a record threw; rolled the engine back and dead-lettered it",
          );
          outcome = {
            kind: "dead-letter",
            reason: "processing-failed",
            message: error instanceof Error ? error.message : String(error),
          };
        }
        switch (outcome.kind) {
          case "applied":
            outputs.push(...outcome.outputs);
            uncommitted.events.push(...outcome.events);
            bump(uncommitted.applied, outcome.symbol);
            break;
          case "command":
            outputs.push(...outcome.outputs);
            uncommitted.events.push(...outcome.events);
            break;
          case "duplicate":
            bump(uncommitted.dropped, "duplicate");
            break;
          case "ignored":
            break;
          case "dead-letter": {
            outputs.push(toDlq(record, bus.topicName(record.topic), outcome.reason, outcome.message, config.groupId));
            bump(uncommitted.deadLetters, `${record.topic}\u0000${outcome.reason}`);
            const seen = deadLettered.get(outcome.reason);
            if (seen) seen.count += 1;
            else
              deadLettered.set(outcome.reason, {
                count: 1,
                first: { partition: record.partition, offset: record.offset, error: outcome.message },
              });
            break;
          }
        }
      }
      for (const [reason, { count, first }] of deadLettered)
        logger.warn(
          { reason, count, first },
          count === 1 ? "sent a record to the DLQ" : `sent ${count} records to the DLQ`,
        );
      return { outputs };
    },
    // the state committed now is where the next transaction starts
    snapshot: () => ({ engine: (txStart = engine.snapshot()) }),
    onCommitted: () => {
      lastCommitAt = now();
      txLog = [];
      const done = uncommitted;
      uncommitted = nothingUncommitted();
      metrics.inc("tickflow_transactions_total", { processor: config.groupId });
      recordMetrics(done.events);
      for (const [symbol, n] of done.applied) {
        lastTickAt.set(symbol, lastCommitAt);
        metrics.inc("tickflow_ticks_processed_total", { symbol }, n);
      }
      for (const [key, n] of done.deadLetters) {
        const [topic, reason] = key.split("\u0000") as [TopicId, string];
        metrics.inc("tickflow_dlq_messages_total", { topic: bus.topicName(topic), reason }, n);
        // a quote the guard refused is a tick not applied; an undecodable record is no tick
        if (topic === "quotes" && QUOTE_REJECT_REASONS.has(reason)) done.dropped.set(reason, n);
      }
      const missing = engine.stats.missingTicks - countedMissing;
      countedMissing = engine.stats.missingTicks;
      if (missing > 0) done.dropped.set("missing", missing);
      for (const [kind, n] of done.dropped) if (n > 0) metrics.inc("tickflow_ticks_dropped_total", { kind }, n);
    },
  });
  processor.done.catch((error: unknown) => {
    failed = error;
  });

  const health = () => {
    const age = lastCommitAt === 0 ? null : now() - lastCommitAt;
    return {
      ok: failed === null,
      service: SERVICE,
      bus: bus.description,
      group: config.groupId,
      lastCommitAgeMs: age,
      ticks: engine.stats.ticks,
      ...(failed ? { error: String(failed) } : {}),
    };
  };
  metrics.onCollect(() => {
    const t = now();
    metrics.set("tickflow_up", {}, health().ok ? 1 : 0);
    for (const [symbol, at] of lastTickAt) metrics.set("tickflow_last_tick_age_seconds", { symbol }, (t - at) / 1_000);
    for (const s of engine.strategies()) {
      const p = engine.portfolio(s.id);
      metrics.set("tickflow_equity", { strategy: s.id }, p.equity);
      metrics.set("tickflow_realized_pnl", { strategy: s.id }, p.realizedPnl);
      metrics.set("tickflow_unrealized_pnl", { strategy: s.id }, p.unrealizedPnl);
      metrics.set("tickflow_fees", { strategy: s.id }, p.fees);
      metrics.set("tickflow_drawdown_ratio", { strategy: s.id }, p.drawdown);
      metrics.set("tickflow_strategy_halted", { strategy: s.id }, p.halted ? 1 : 0);
      for (const pos of p.positions)
        metrics.set("tickflow_position", { strategy: s.id, symbol: pos.symbol }, pos.quantity);
    }
  });
  // Lag needs two admin round trips: measured every few seconds, not on every scrape.
  const measureLag = async () => {
    try {
      for (const { partition, lag } of await consumerLag(bus, config.groupId, "quotes")) {
        metrics.set(
          "tickflow_consumer_lag",
          { group: config.groupId, topic: quotesTopic, partition: String(partition) },
          Number(lag),
        );
      }
    } catch (error) {
      logger.warn({ err: error }, "could not measure consumer lag");
    }
  };
  const lagTimer = setInterval(() => void measureLag(), LAG_INTERVAL_MS);
  void measureLag();

  const strategyOr404 = (id: string) => {
    const s = engine.strategies().find((x) => x.id === id);
    if (!s)
      throw new HttpProblem(
        404,
        "unknown-strategy",
        `unknown strategy ${id}; running: ${engine
          .strategies()
          .map((x) => x.id)
          .join(", ")}`,
      );
    return s;
  };
  // The strategies and their accounts read the live engine, ahead of the last commit by at most
  // the batch in flight. Each answer is typed with its read view (core's views.ts), the schema the
  // gateway parses it with.
  const http = await startServiceHttp({
    port: config.httpPort,
    host: config.httpHost,
    metrics,
    onError: (error, request) => logger.error({ err: error, path: request.path }, "request failed"),
    health: async () => health(),
    routes: [
      {
        method: "GET",
        path: "/strategies",
        query: [],
        handle: () => ({
          status: 200,
          body: engine.strategies().map((s) => {
            const { equityCurve: _curve, positions, ...portfolio } = engine.portfolio(s.id);
            return { ...s, portfolio, positions };
          }) satisfies StrategyView[],
        }),
      },
      {
        method: "GET",
        path: "/strategies/{id}",
        query: [],
        handle: ({ params }) => {
          const s = strategyOr404(params.id!);
          return { status: 200, body: { ...s, portfolio: engine.portfolio(s.id) } satisfies StrategyDetailView };
        },
      },
    ],
  });
  logger.info(
    { port: http.port, bus: bus.description, group: config.groupId, strategies: engine.strategies().map((s) => s.id) },
    "strategy worker started",
  );

  return {
    port: http.port,
    done: processor.done,
    stop: async () => {
      clearInterval(lagTimer);
      // stop() lets the batch in flight commit before the consumer leaves the group
      await processor.stop();
      await http.close();
      logger.info({ ticks: engine.stats.ticks }, "strategy worker stopped");
    },
  };
}
