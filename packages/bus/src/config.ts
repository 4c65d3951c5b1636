import { GetBootstrapBrokersCommand, KafkaClient } from "@aws-sdk/client-kafka";
import { ConfigError } from "@tickflow/core";
import { z } from "zod";
import { generateAuthToken } from "aws-msk-iam-sasl-signer-js";
import type { KafkaConfig, SASLOptions } from "kafkajs";

export type KafkaAuth = "none" | "msk-iam" | "scram";

/** Broker settings as the environment gives them (DESIGN.md, Events on Kafka). */
export interface KafkaSettings {
  brokers: string[] | null;
  clusterArn: string | null;
  auth: KafkaAuth;
  region: string | null;
  scram: { username: string; password: string } | null;
  clientId: string;
  /** Namespace prepended to every topic name; empty in production, unique per test run. */
  topicPrefix: string;
}

const ARN = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):\d{12}:cluster\/[^/]+\/[^/]+$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/**
 * The broker variables (DESIGN.md, Events on Kafka), the bus's part of a process's
 * configuration (read with @tickflow/runtime's readEnv): KAFKA_BROKERS or MSK_CLUSTER_ARN,
 * KAFKA_AUTH (none | msk-iam | scram), AWS_REGION, KAFKA_SCRAM_USERNAME / KAFKA_SCRAM_PASSWORD,
 * KAFKA_CLIENT_ID, KAFKA_TOPIC_PREFIX and KAFKA_SESSION_TIMEOUT_MS. Every rule between them
 * fails at start naming the variable.
 */
export const KafkaEnvSchema = z
  .object({
    KAFKA_BROKERS: z
      .string()
      .transform((text) =>
        text
          .split(",")
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .refine((list) => list.length > 0 && list.every((b) => HOST_PORT.test(b)), {
        message: "must be a comma-separated list of host:port, e.g. 127.0.0.1:9092",
      })
      .optional(),
    MSK_CLUSTER_ARN: z
      .string()
      .trim()
      .regex(ARN, "is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<id>)")
      .optional(),
    KAFKA_AUTH: z.enum(["none", "msk-iam", "scram"], { error: "must be none, msk-iam or scram" }).default("none"),
    AWS_REGION: z.string().trim().optional(),
    KAFKA_SCRAM_USERNAME: z.string().trim().optional(),
    KAFKA_SCRAM_PASSWORD: z.string().optional(),
    KAFKA_CLIENT_ID: z.string().trim().optional(),
    KAFKA_TOPIC_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
      .default(""),
    /** How long a crashed consumer holds its partitions before the group moves them. */
    KAFKA_SESSION_TIMEOUT_MS: z.coerce
      .number()
      .int("must be a whole number of milliseconds")
      .min(6_000, "must be at least 6000 (the broker's minimum)")
      .optional(),
  })
  .superRefine((env, ctx) => {
    const problem = (variable: string, message: string) => ctx.addIssue({ code: "custom", path: [variable], message });
    if (!env.KAFKA_BROKERS && !env.MSK_CLUSTER_ARN)
      problem(
        "KAFKA_BROKERS",
        "set KAFKA_BROKERS (e.g. 127.0.0.1:9092) or MSK_CLUSTER_ARN (the MSK cluster to resolve brokers from)",
      );
    const region = env.AWS_REGION || (env.MSK_CLUSTER_ARN && ARN.exec(env.MSK_CLUSTER_ARN)?.[1]);
    if ((env.KAFKA_AUTH === "msk-iam" || env.MSK_CLUSTER_ARN) && !region)
      problem("AWS_REGION", "is required for msk-iam auth and for resolving MSK_CLUSTER_ARN");
    if (env.KAFKA_AUTH === "scram" && !env.KAFKA_SCRAM_USERNAME)
      problem("KAFKA_SCRAM_USERNAME", "is required when KAFKA_AUTH=scram");
    if (env.KAFKA_AUTH === "scram" && !env.KAFKA_SCRAM_PASSWORD)
      problem("KAFKA_SCRAM_PASSWORD", "is required when KAFKA_AUTH=scram");
  });
export type KafkaEnv = z.output<typeof KafkaEnvSchema>;

/** The broker settings of parsed variables; `defaultClientId` names the client when KAFKA_CLIENT_ID does not. */
export function kafkaSettings(env: KafkaEnv, defaultClientId: string): KafkaSettings {
  const region = env.AWS_REGION || (env.MSK_CLUSTER_ARN ? ARN.exec(env.MSK_CLUSTER_ARN)![1]! : null) || null;
  const scram =
    env.KAFKA_AUTH === "scram" ? { username: env.KAFKA_SCRAM_USERNAME!, password: env.KAFKA_SCRAM_PASSWORD! } : null;
  return {
    brokers: env.KAFKA_BROKERS ?? null,
    clusterArn: env.MSK_CLUSTER_ARN ?? null,
    auth: env.KAFKA_AUTH,
    region,
    scram,
    clientId: env.KAFKA_CLIENT_ID || defaultClientId,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
  };
}

/** The bootstrap brokers, and whether they speak TLS: KAFKA_BROKERS as given, or MSK's for the chosen auth. */
export async function resolveBrokers(
  settings: KafkaSettings,
  client?: KafkaClient,
): Promise<{ brokers: string[]; tls: boolean }> {
  if (settings.brokers) return { brokers: settings.brokers, tls: settings.auth !== "none" };
  const kafka = client ?? new KafkaClient({ region: settings.region! });
  const response = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: settings.clusterArn! }));
  const candidates: [string | undefined, boolean][] =
    settings.auth === "msk-iam"
      ? [[response.BootstrapBrokerStringSaslIam, true]]
      : settings.auth === "scram"
        ? [[response.BootstrapBrokerStringSaslScram, true]]
        : [
            [response.BootstrapBrokerStringTls, true],
            [response.BootstrapBrokerString, false],
          ];
  const found = candidates.find(([list]) => list);
  if (!found)
    throw new ConfigError(
      `MSK cluster ${settings.clusterArn} has no bootstrap brokers for KAFKA_AUTH=${settings.auth}: enable that authentication on the cluster`,
    );
  return { brokers: found[0]!.split(",").map((b) => b.trim()), tls: found[1] };
}

/** kafkajs client options for the settings: TLS and SASL for MSK IAM and SCRAM. */
export async function kafkajsConfig(settings: KafkaSettings, client?: KafkaClient): Promise<KafkaConfig> {
  const { brokers, tls } = await resolveBrokers(settings, client);
  let sasl: SASLOptions | undefined;
  if (settings.auth === "msk-iam") {
    const region = settings.region!;
    sasl = {
      mechanism: "oauthbearer",
      // a fresh SigV4-signed token per connection, from the default AWS credential chain
      oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
    };
  } else if (settings.scram) {
    sasl = { mechanism: "scram-sha-512", username: settings.scram.username, password: settings.scram.password };
  }
  return { clientId: settings.clientId, brokers, ssl: tls, ...(sasl ? { sasl } : {}) };
}
