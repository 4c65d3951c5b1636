import { DatabaseEnvSchema, type DatabaseEnv } from "@tickflow/read-side";
import { readEnv, ServiceEnvSchema, type Env, type ServiceEnv } from "@tickflow/runtime";
import { z } from "zod";

const days = (what: string, fallback: number) =>
  z.coerce
    .number({ error: `must be a number of days (${what})` })
    .positive("must be more than 0 days")
    .max(3_650, "must be at most 3650 days")
    .default(fallback);

const Variables = z.object({
  ...ServiceEnvSchema.shape,
  ...DatabaseEnvSchema.shape,
  PJ_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(7003),
  PJ_HTTP_HOST: z.string().default("127.0.0.1"),
  /** Its consumer group: the key of its offsets in the database (Kafka's committed offsets are only a hint). */
  PJ_GROUP_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default("tickflow-projector"),
  /** Retention of the high-volume tables, by event time: older rows are deleted every minute. */
  PJ_RETAIN_BARS_DAYS: days("bars", 30),
  PJ_RETAIN_SIGNALS_DAYS: days("signals", 90),
  PJ_RETAIN_ORDER_EVENTS_DAYS: days("order events; the orders table keeps each order's latest state", 90),
  PJ_RETAIN_EQUITY_DAYS: days("equity and portfolio samples", 90),
});

export interface ProjectorConfig {
  logLevel: ServiceEnv["LOG_LEVEL"];
  httpPort: number;
  httpHost: string;
  groupId: string;
  database: DatabaseEnv;
  /** Retention by table, in ms of event time. */
  retentionMs: { bars: number; signals: number; orderEvents: number; equity: number };
}

const DAY_MS = 86_400_000;

export const ProjectorEnvSchema = Variables.transform((e): ProjectorConfig => ({
  logLevel: e.LOG_LEVEL,
  httpPort: e.PJ_HTTP_PORT,
  httpHost: e.PJ_HTTP_HOST,
  groupId: e.PJ_GROUP_ID,
  database: {
    DATABASE_URL: e.DATABASE_URL,
    DATABASE_CLUSTER_ARN: e.DATABASE_CLUSTER_ARN,
    DATABASE_SECRET_ARN: e.DATABASE_SECRET_ARN,
    DATABASE_NAME: e.DATABASE_NAME,
    PGHOST: e.PGHOST,
  },
  retentionMs: {
    bars: e.PJ_RETAIN_BARS_DAYS * DAY_MS,
    signals: e.PJ_RETAIN_SIGNALS_DAYS * DAY_MS,
    orderEvents: e.PJ_RETAIN_ORDER_EVENTS_DAYS * DAY_MS,
    equity: e.PJ_RETAIN_EQUITY_DAYS * DAY_MS,
  },
}));

/** The projector's configuration from an environment (the local runner's in-process start, tests). */
export function projectorConfig(env: Env): ProjectorConfig {
  return readEnv(env, { config: ProjectorEnvSchema }).config;
}
