import { kafkaSettingsFromEnv } from "./config";
import { KafkaBus, type KafkaBusTuning } from "./kafka-bus";
import { MemoryBus } from "./memory-bus";
import type { Bus, BusLogger } from "./port";

/**
 * The bus a runtime should use: `TICKFLOW_BUS=memory` gives the in-memory bus (the local
 * runner without Java); otherwise Kafka from KAFKA_BROKERS or MSK_CLUSTER_ARN.
 */
export async function createBus(env: Record<string, string | undefined>, clientId: string, logger?: BusLogger, tuning?: Partial<KafkaBusTuning>): Promise<Bus> {
  if (env.TICKFLOW_BUS === "memory") return new MemoryBus(env.KAFKA_TOPIC_PREFIX ?? "");
  return KafkaBus.create(kafkaSettingsFromEnv(env, clientId), logger, tuning);
}
