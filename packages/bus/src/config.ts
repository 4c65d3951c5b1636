import { GetBootstrapBrokersCommand, KafkaClient } from "@aws-sdk/client-kafka";
import { ConfigError } from "@tickflow/core";
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
 * Reads KAFKA_BROKERS or MSK_CLUSTER_ARN, KAFKA_AUTH (none | msk-iam | scram), AWS_REGION,
 * KAFKA_SCRAM_USERNAME / KAFKA_SCRAM_PASSWORD, KAFKA_CLIENT_ID and KAFKA_TOPIC_PREFIX. Anything
 * missing or malformed fails here, at start, with the variable's name.
 */
export function kafkaSettingsFromEnv(env: Record<string, string | undefined>, defaultClientId: string): KafkaSettings {
  const brokersText = env.KAFKA_BROKERS?.trim() || null;
  const clusterArn = env.MSK_CLUSTER_ARN?.trim() || null;
  if (!brokersText && !clusterArn) {
    throw new ConfigError("set KAFKA_BROKERS (e.g. 127.0.0.1:9092) or MSK_CLUSTER_ARN (the MSK cluster to resolve brokers from)");
  }
  let brokers: string[] | null = null;
  if (brokersText) {
    brokers = brokersText.split(",").map((b) => b.trim()).filter(Boolean);
    const bad = brokers.filter((b) => !HOST_PORT.test(b));
    if (brokers.length === 0 || bad.length > 0) throw new ConfigError(`KAFKA_BROKERS must be a comma-separated list of host:port, got "${brokersText}"`);
  }
  const arnMatch = clusterArn ? ARN.exec(clusterArn) : null;
  if (clusterArn && !arnMatch) throw new ConfigError(`MSK_CLUSTER_ARN is not an MSK cluster ARN: "${clusterArn}"`);

  const auth = (env.KAFKA_AUTH?.trim() || "none") as KafkaAuth;
  if (!["none", "msk-iam", "scram"].includes(auth)) throw new ConfigError(`KAFKA_AUTH must be none, msk-iam or scram, got "${env.KAFKA_AUTH}"`);
  const region = env.AWS_REGION?.trim() || arnMatch?.[1] || null;
  if ((auth === "msk-iam" || clusterArn) && !region) throw new ConfigError("AWS_REGION is required for msk-iam auth and for resolving MSK_CLUSTER_ARN");

  let scram: KafkaSettings["scram"] = null;
  if (auth === "scram") {
    const username = env.KAFKA_SCRAM_USERNAME?.trim();
    const password = env.KAFKA_SCRAM_PASSWORD;
    if (!username) throw new ConfigError("KAFKA_SCRAM_USERNAME is required when KAFKA_AUTH=scram");
    if (!password) throw new ConfigError("KAFKA_SCRAM_PASSWORD is required when KAFKA_AUTH=scram");
    scram = { username, password };
  }
  const topicPrefix = env.KAFKA_TOPIC_PREFIX?.trim() ?? "";
  if (topicPrefix && !/^[A-Za-z0-9._-]+$/.test(topicPrefix)) throw new ConfigError(`KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-", got "${topicPrefix}"`);
  return { brokers, clusterArn, auth, region, scram, clientId: env.KAFKA_CLIENT_ID?.trim() || defaultClientId, topicPrefix };
}

/** The bootstrap brokers, and whether they speak TLS: KAFKA_BROKERS as given, or MSK's for the chosen auth. */
export async function resolveBrokers(settings: KafkaSettings, client?: KafkaClient): Promise<{ brokers: string[]; tls: boolean }> {
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
  if (!found) throw new ConfigError(`MSK cluster ${settings.clusterArn} has no bootstrap brokers for KAFKA_AUTH=${settings.auth}: enable that authentication on the cluster`);
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
