import {
  consumerLag,
  decodeEvent,
  DecodeError,
  toDlq,
  TOPICS,
  type Bus,
  type BusRecord,
  type Publisher,
  type Subscription,
  type TopicId,
} from "@tickflow/bus";
import type { DomainEvent } from "@tickflow/core";
import type { Metrics } from "@tickflow/metrics";
import {
  applyBatch,
  describeTarget,
  migrate,
  ping,
  prune,
  type DatabaseTarget,
  type ProjectedBatch,
  type ReadSideDb,
} from "@tickflow/read-side";
import { startServiceHttp } from "@tickflow/runtime";
import type { Logger } from "pino";
import type { ProjectorConfig } from "./config";

export const SERVICE = "projector";

/**
 * The topics the read side projects: every engine output. Not the quotes: only the strategy
 * engine's quote guard tells a real quote from a hostile one (price band, spread, seq, skew), and
 * the latest quotes are the market-data worker's to serve; nor the DLQ (what no one could read)
 * nor the engine's own state. The commands and their outcomes are: they are the command audit.
 */
export const PROJECTED_TOPICS = [
  "bars",
  "signals",
  "orders",
  "trades",
  "positions",
  "risk",
  "equity",
  "commands",
] as const satisfies readonly TopicId[];

const LAG_INTERVAL_MS = 5_000;
const PRUNE_INTERVAL_MS = 60_000;
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 5_000;

export interface ProjectorDeps {
  config: ProjectorConfig;
  bus: Bus;
  db: ReadSideDb;
  target: DatabaseTarget;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

export interface ProjectorService {
  port: number;
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Node and PostgreSQL errors that say the database is away or busy, not that the batch is wrong. */
const TRANSIENT_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (TRANSIENT_NODE_CODES.has(code)) return true;
    // SQLSTATE classes: 08 connection, 53 resources, 57P operator intervention (shutdown), 40 serialization/deadlock
    if (/^(08|53|57P|40001|40P01)/.test(code)) return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    message,
  );
}

/**
 * The projector: consumes the engine's output topics read_committed and writes them to the read
 * side's PostgreSQL, exactly once. Each partition batch and its next offset commit in one
 * database transaction; Kafka's committed offsets follow (they only save re-reading). A record
 * that does not decode, or that the database refuses on its own, goes to dlq.v1; a database
 * that is away is waited for, the batch held and retried.
 */
export async function startProjector(deps: ProjectorDeps): Promise<ProjectorService> {
  const { config, bus, db, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  let databaseUp = false;
  let databaseError: string | null = null;
  let failed: unknown = null;
  let lastCommitAt = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Waits for the database with backoff; `give up` ends the wait (the caller is stopping or out of time). */
  const withDatabase = async <T>(work: () => Promise<T>, giveUp: () => boolean): Promise<T | undefined> => {
    let delay = RETRY_FIRST_MS;
    for (;;) {
      try {
        const result = await work();
        if (!databaseUp) logger.info({ database: describeTarget(deps.target) }, "database reachable");
        databaseUp = true;
        databaseError = null;
        return result;
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (databaseUp || databaseError === null)
          logger.warn({ err: error, database: describeTarget(deps.target) }, "database unreachable: waiting for it");
        databaseUp = false;
        databaseError = error instanceof Error ? error.message : String(error);
        if (giveUp()) return undefined;
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  };

  let stopping = false;
  await withDatabase(
    () => migrate(db),
    () => stopping,
  );
  // no ensureTopics: the workers that write these topics create them (on MSK the projector may only read them)
  const dlq: Publisher = await bus.publisher();

  const decode = (record: BusRecord): { event: DomainEvent | null; dead?: { reason: string; message: string } } => {
    try {
      return { event: decodeEvent(record.value, TOPICS[record.topic].events) as DomainEvent };
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return { event: null, dead: { reason: error.reason, message: error.message } };
    }
  };

  const deadLetter = async (records: { record: BusRecord; reason: string; message: string }[]) => {
    if (records.length === 0) return;
    // published before the batch commits: a crash in between sends them again (at least once), never loses one
    await dlq.publish(
      records.map((d) => toDlq(d.record, bus.topicName(d.record.topic), d.reason, d.message, config.groupId)),
    );
    for (const d of records)
      metrics.inc("tickflow_dlq_messages_total", { topic: bus.topicName(d.record.topic), reason: d.reason });
  };

  const committed = (topic: string, batch: ProjectedBatch, result: Awaited<ReturnType<typeof applyBatch>>) => {
    lastCommitAt = now();
    const skipped = batch.records.length - result.applied;
    if (result.applied > 0)
      metrics.inc("tickflow_projector_records_total", { topic, outcome: "applied" }, result.applied);
    if (skipped > 0) metrics.inc("tickflow_projector_records_total", { topic, outcome: "skipped" }, skipped);
    for (const [table, n] of Object.entries(result.rows)) metrics.inc("tickflow_projector_rows_total", { table }, n);
    const t = now();
    for (const r of batch.records)
      if (r.event)
        metrics.observe("tickflow_projector_event_age_seconds", { topic }, Math.max(0, t - r.event.ts) / 1_000);
  };

  const applyOneByOne = async (
    batch: ProjectedBatch,
    decoded: { record: BusRecord; event: DomainEvent | null }[],
    cause: unknown,
    giveUp: () => boolean,
  ) => {
    const total = { applied: 0, rows: {} as Record<string, number> };
    for (const [i, one] of batch.records.entries()) {
      const single: ProjectedBatch = { ...batch, records: [one] };
      let result;
      try {
        result = await withDatabase(() => applyBatch(db, single), giveUp);
      } catch (error) {
        await deadLetter([
          {
            record: decoded[i]!.record,
            reason: "projection-failed",
            message: `the database refused it: ${error instanceof Error ? error.message : String(error)} (batch: ${String(cause)})`,
          },
        ]);
        result = await withDatabase(() => applyBatch(db, { ...single, records: [{ ...one, event: null }] }), giveUp);
      }
      if (!result) return undefined;
      total.applied += result.applied;
      for (const [table, n] of Object.entries(result.rows)) total.rows[table] = (total.rows[table] ?? 0) + n;
    }
    return total;
  };

  const subscription: Subscription = await bus.subscribe({
    groupId: config.groupId,
    topics: [...PROJECTED_TOPICS],
    // the database's offsets decide what is applied; a group new to Kafka reads everything retained
    fromBeginning: true,
    autoResolve: false,
    onBatch: async (records, control) => {
      const topic = bus.topicName(records[0]!.topic);
      const decoded = records.map((record) => ({ record, ...decode(record) }));
      const batch: ProjectedBatch = {
        groupId: config.groupId,
        topic,
        partition: records[0]!.partition,
        records: decoded.map((d) => ({ offset: d.record.offset, event: d.event })),
      };
      const started = performance.now();
      const giveUp = () => !control.isRunning() || control.timeLeftMs() === 0;
      let result: Awaited<ReturnType<typeof applyBatch>> | undefined;
      try {
        await deadLetter(decoded.flatMap((d) => (d.dead ? [{ record: d.record, ...d.dead }] : [])));
        result = await withDatabase(() => applyBatch(db, batch), giveUp);
      } catch (error) {
        // the database refused the batch itself (not its connection): find the records it refuses, dead-letter them, apply the rest
        logger.error({ err: error, topic, partition: batch.partition }, "batch refused: applying it record by record");
        result = await applyOneByOne(batch, decoded, error, giveUp);
      }
      // held (database away, or out of time): not resolved, so the batch comes again
      if (!result) return;
      if (decoded.some((d) => d.dead))
        metrics.inc(
          "tickflow_projector_records_total",
          { topic, outcome: "dead-lettered" },
          decoded.filter((d) => d.dead).length,
        );
      metrics.observe("tickflow_projector_batch_duration_seconds", { topic }, (performance.now() - started) / 1_000);
      committed(topic, batch, result);
      control.resolveOffset(records[records.length - 1]!.offset);
    },
  });

  subscription.done.catch((error: unknown) => {
    failed = error;
    logger.error({ err: error }, "projector subscription failed");
  });

  const measureLag = async () => {
    try {
      for (const id of PROJECTED_TOPICS)
        for (const { partition, lag } of await consumerLag(bus, config.groupId, id))
          metrics.set(
            "tickflow_consumer_lag",
            { group: config.groupId, topic: bus.topicName(id), partition: String(partition) },
            Number(lag),
          );
    } catch (error) {
      logger.warn({ err: error }, "could not measure consumer lag");
    }
  };
  const lagTimer = setInterval(() => void measureLag(), LAG_INTERVAL_MS);
  const pruneOld = async () => {
    try {
      const deleted = await prune(db, now(), config.retentionMs);
      if (Object.values(deleted).some((n) => n > 0)) logger.info({ deleted }, "retention: deleted old rows");
    } catch (error) {
      logger.warn({ err: error }, "retention: could not delete old rows");
    }
  };
  const pruneTimer = setInterval(() => void pruneOld(), PRUNE_INTERVAL_MS);

  const health = async () => {
    await ping(db).then(
      () => {
        databaseUp = true;
        databaseError = null;
      },
      (error: unknown) => {
        databaseUp = false;
        databaseError = error instanceof Error ? error.message : String(error);
      },
    );
    return {
      ok: failed === null && databaseUp,
      service: SERVICE,
      bus: bus.description,
      database: {
        target: describeTarget(deps.target),
        status: databaseUp ? "up" : "down",
        ...(databaseError ? { detail: databaseError } : {}),
      },
      group: config.groupId,
      lastCommitAgeMs: lastCommitAt === 0 ? null : now() - lastCommitAt,
      ...(failed ? { error: String(failed) } : {}),
    };
  };
  metrics.onCollect(() => metrics.set("tickflow_up", {}, failed === null && databaseUp ? 1 : 0));

  const http = await startServiceHttp({
    port: config.httpPort,
    host: config.httpHost,
    metrics,
    routes: [],
    health,
    onError: (error, request) => logger.error({ err: error, path: request.path }, "request failed"),
  });
  logger.info(
    { port: http.port, database: describeTarget(deps.target), topics: PROJECTED_TOPICS.map((t) => bus.topicName(t)) },
    "projector started",
  );

  return {
    port: http.port,
    done: subscription.done,
    stop: async () => {
      stopping = true;
      clearInterval(lagTimer);
      clearInterval(pruneTimer);
      await subscription.stop();
      await dlq.close();
      await http.close();
    },
  };
}
