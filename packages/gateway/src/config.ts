import { RoleSchema } from "@tickflow/core";
import { DatabaseEnvSchema } from "@tickflow/read-side";
import { readEnv, ServiceEnvSchema, type Env } from "@tickflow/runtime";
import { z } from "zod";

/** An http(s) base URL without a trailing slash, so paths can be appended as they are written. */
const baseUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .default(fallback)
    .transform((url) => url.replace(/\/+$/, ""));

const ORIGIN = /^https?:\/\/[^/\s]+$/;

/**
 * UPSTREAM_TIMEOUT_MS when unset (the Api stack sets this value too): a worker answers its read
 * API in milliseconds, and the budget stays well inside API Gateway's 30 s and the route
 * Lambdas' timeout.
 */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2_000;

/** The gateway's own variables (the bus and the metrics read theirs). */
export const GatewayEnvSchema = z.object({
  ...ServiceEnvSchema.shape,
  /** Where the read side is (DATABASE_URL, or the Data API's DATABASE_CLUSTER_ARN and DATABASE_SECRET_ARN): the history routes read it. */
  ...DatabaseEnvSchema.shape,
  /** The market-data worker's read API (instruments, quotes). */
  MARKET_DATA_URL: baseUrl("http://127.0.0.1:7001"),
  /** The strategy worker's read API (the running strategies). */
  STRATEGY_URL: baseUrl("http://127.0.0.1:7002"),
  /** Budget for one upstream call, connect to last byte; past it the request answers 503. */
  UPSTREAM_TIMEOUT_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(50, "must be at least 50 ms")
    .max(25_000, "must be at most 25000 ms: API Gateway gives an HTTP API integration 30 s")
    .default(DEFAULT_UPSTREAM_TIMEOUT_MS),
  /** Browser origins allowed to call the API (the dashboard), comma-separated. */
  CORS_ORIGINS: z
    .string()
    .default("http://localhost:8080,http://127.0.0.1:8080")
    .transform((s) =>
      s
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine((origins) => origins.length > 0 && origins.every((o) => o === "*" || ORIGIN.test(o)), {
      message:
        "must be a comma-separated list of origins such as https://app.example.com (scheme and host, no path), or *",
    }),
  GATEWAY_PORT: z.coerce.number({ error: "must be a port number" }).int().min(0).max(65_535).default(8000),
  GATEWAY_HOST: z.string().min(1).default("127.0.0.1"),
  /** SNS topic that receives an alert for every risk.halted; without it alerts stay in the gateway (locally) or go nowhere (AWS). */
  ALERTS_TOPIC_ARN: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
      "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
    )
    .optional(),
  /**
   * Whether the MSK event source mapping honours partial batch responses (ReportBatchItemFailures,
   * provisioned pollers only). When it does not, a failed record must fail the invocation, or Lambda
   * would count the batch as done and drop it.
   */
  KAFKA_REPORT_BATCH_ITEM_FAILURES: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("false")
    .transform((v) => v === "true"),
  /** Local tokens: the HS256 signing key (at least 32 characters). `tickflow up` makes a random one per run. */
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (e.g. openssl rand -hex 32)").optional(),
  /** Local users, as JSON [{ "username", "password", "role": "viewer" | "trader" }]: hashed at start, never logged. */
  AUTH_USERS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: 'must be JSON: [{ "username", "password", "role" }]' });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .array(
          z.strictObject({
            username: z
              .string()
              .regex(/^[A-Za-z0-9._@-]{1,64}$/, "a username is 1 to 64 letters, digits, '.', '_', '@' or '-'"),
            password: z.string().min(8, "a password has at least 8 characters").max(256),
            role: RoleSchema,
          }),
        )
        .min(1, "name at least one user")
        .refine((users) => new Set(users.map((u) => u.username)).size === users.length, "a username is listed twice"),
    )
    .optional(),
  /** How long a local token is valid. */
  AUTH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3_600),
  /** Whether the read routes need a token locally (on AWS, with Cognito, they always do). */
  AUTH_READS: z.enum(["open", "token"], { error: "must be open or token" }).default("open"),
  /** Cognito (AWS): the user pool whose access tokens the handlers verify, and its app client. */
  COGNITO_USER_POOL_ID: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/, "must be a user pool id such as eu-west-1_AbC123")
    .optional(),
  COGNITO_CLIENT_ID: z
    .string()
    .regex(/^[0-9a-z]{1,128}$/, "must be an app client id")
    .optional(),
  /** Consumer group of the local risk/alerts consumer (on AWS the MSK event source mapping owns its group). */
  ALERTS_GROUP_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, "may hold only letters, digits, '.', '_' and '-'")
    .default("tickflow-gateway-alerts"),
  /**
   * Prefix of the stream's consumer group (/api/stream): each gateway process reads every
   * partition itself from the latest offsets, in a group of its own (the prefix, a dash and a
   * random suffix).
   */
  STREAM_GROUP_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, "may hold only letters, digits, '.', '_' and '-'")
    .default("tickflow-gateway-stream"),
  /** Most quote updates per second per symbol a stream client gets (the latest always arrives). */
  STREAM_QUOTES_PER_SECOND: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1_000, "must be at most 1000")
    .default(10),
  /** Non-quote messages the stream keeps for clients that resume with ?since=. */
  STREAM_BUFFER_MESSAGES: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1_000_000, "must be at most 1000000")
    .default(10_000),
  /** Bytes a stream client may leave unread: past them its quotes wait, and an event closes it (4008). */
  STREAM_MAX_BUFFERED_BYTES: z.coerce
    .number({ error: "must be a number of bytes" })
    .int("must be a whole number of bytes")
    .min(1_024, "must be at least 1024 bytes")
    .default(4 * 1024 * 1024),
  /** How often the stream sends each client a heartbeat (and a ping; a client that did not answer the last one is cut). */
  STREAM_HEARTBEAT_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(100, "must be at least 100 ms")
    .max(300_000, "must be at most 300000 ms")
    .default(15_000),
});

export type GatewayConfig = z.output<typeof GatewayEnvSchema>;

/**
 * Reads the gateway's configuration once, at start (or at a Lambda's cold start). A missing or
 * malformed value fails here with the variable's name, not later inside a request.
 */
export function gatewayConfig(env: Env): GatewayConfig {
  return readEnv(env, { gateway: GatewayEnvSchema }).gateway;
}
