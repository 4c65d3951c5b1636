import { kafkaSettings, type KafkaEnv } from "./config";
import { KafkaBus } from "./kafka-bus";
import type { Bus, BusLogger } from "./port";

/** The Kafka bus of a process, from its parsed broker variables (KafkaEnvSchema). */
export async function createBus(env: KafkaEnv, clientId: string, logger?: BusLogger): Promise<Bus> {
  return KafkaBus.create(
    kafkaSettings(env, clientId),
    logger,
    env.KAFKA_SESSION_TIMEOUT_MS ? { sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS } : {},
  );
}
