import { RDSData } from "@aws-sdk/client-rds-data";
import { Kysely, PostgresDialect } from "kysely";
import { DataApiDialect } from "kysely-data-api";
import pg from "pg";
import { z } from "zod";
import type { Database } from "./schema";

/**
 * Where the read side's database is, from the environment (DESIGN.md, Public API):
 * - `DATABASE_URL` (postgres://...): PostgreSQL 15+ over node-postgres;
 * - `DATABASE_CLUSTER_ARN` with `DATABASE_SECRET_ARN` (and `DATABASE_NAME`): Aurora through the
 *   RDS Data API, what the API Lambdas use (no connection, no credentials in the function);
 * - `PGHOST` (with PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE as node-postgres reads them):
 *   what the projector gets on Fargate, its password injected by ECS from Secrets Manager.
 * `tickflow up` without any of them runs embedded PostgreSQL (PGlite, below) and passes its URL on.
 */
export type DatabaseTarget =
  | { kind: "postgres"; url: string | undefined }
  | { kind: "data-api"; resourceArn: string; secretArn: string; database: string };

export const DatabaseEnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL, e.g. postgres://user:pass@127.0.0.1:5432/tickflow")
    .optional(),
  DATABASE_CLUSTER_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:.+$/, "must be an RDS cluster ARN")
    .optional(),
  DATABASE_SECRET_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, "must be a Secrets Manager secret ARN")
    .optional(),
  DATABASE_NAME: z.string().min(1).default("tickflow"),
  PGHOST: z.string().min(1).optional(),
});
export type DatabaseEnv = z.infer<typeof DatabaseEnvSchema>;

/** The target the environment names, or null when it names none (the caller says what to set). */
export function databaseTarget(env: DatabaseEnv): DatabaseTarget | null {
  if (env.DATABASE_URL) return { kind: "postgres", url: env.DATABASE_URL };
  if (env.DATABASE_CLUSTER_ARN) {
    if (!env.DATABASE_SECRET_ARN)
      throw new Error("DATABASE_CLUSTER_ARN is set without DATABASE_SECRET_ARN: the Data API needs both");
    return {
      kind: "data-api",
      resourceArn: env.DATABASE_CLUSTER_ARN,
      secretArn: env.DATABASE_SECRET_ARN,
      database: env.DATABASE_NAME,
    };
  }
  if (env.PGHOST) return { kind: "postgres", url: undefined };
  return null;
}

export const NO_DATABASE_MESSAGE =
  "no database: set DATABASE_URL=postgres://user:pass@host:5432/tickflow (PostgreSQL 15+), or " +
  "DATABASE_CLUSTER_ARN and DATABASE_SECRET_ARN (Aurora via the RDS Data API); `npm start` runs an embedded one";

/** A target's description without its password, for logs and health. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === "data-api") return `data-api ${target.resourceArn}/${target.database}`;
  if (!target.url) return `postgres ${process.env.PGHOST ?? "?"}`;
  const url = new URL(target.url);
  url.password = url.password ? "***" : "";
  return `postgres ${url.host}${url.pathname}`;
}

export interface OpenOptions {
  /** Connections in the pool (node-postgres); a Lambda needs one, the local gateway a few. */
  maxConnections?: number;
  /** How long to wait for a connection before failing the query (node-postgres). */
  connectTimeoutMs?: number;
}

/** One Kysely instance over the target: the same typed queries run on all of them. */
export function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Kysely<Database> {
  if (target.kind === "data-api")
    return new Kysely<Database>({
      dialect: new DataApiDialect({
        mode: "postgres",
        driver: {
          client: new RDSData({}),
          resourceArn: target.resourceArn,
          secretArn: target.secretArn,
          database: target.database,
        },
      }),
    });
  const pool = new pg.Pool({
    ...(target.url ? { connectionString: target.url } : {}),
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
  });
  // an idle client whose server went away emits here; without a listener it would kill the process
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
