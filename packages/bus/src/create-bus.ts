import { kafkaSettingsFromEnv } from "./config";
import { KafkaBus, type KafkaBusTuning } from "./kafka-bus";
import { ConfigError } from "@tickflow/core";
import type { Bus, BusLogger } from "./port";

/**
 * The Kafka bus for a runtime, from KAFKA_BROKERS or MSK_CLUSTER_ARN (see kafkaSettingsFromEnv);
 * KAFKA_SESSION_TIMEOUT_MS shortens how long a crashed consumer holds its partitions.
 */
export async function createBus(env: Record<string, string | undefined>, clientId: string, logger?: BusLogger): Promise<Bus> {
  const tuning: Partial<KafkaBusTuning> = {};
  if (env.KAFKA_SESSION_TIMEOUT_MS) {
    const ms = Number(env.KAFKA_SESSION_TIMEOUT_MS);
    if (!Number.isInteger(ms) || ms < 6_000) throw new ConfigError("KAFKA_SESSION_TIMEOUT_MS must be an integer of at least 6000 (the broker's minimum)");
    tuning.sessionTimeoutMs = ms;
  }
  return KafkaBus.create(kafkaSettingsFromEnv(env, clientId), logger, tuning);
}
