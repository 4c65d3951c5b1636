import { KafkaContainer, type StartedKafkaContainer } from "@testcontainers/kafka";
import { getContainerRuntimeClient } from "testcontainers";
import type { TestProject } from "vitest/node";
import { kafkaStatus, resetKafkaData, startKafka, stopKafka, type KafkaLauncherOptions } from "@tickflow/local-kafka";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    /** How the broker was obtained, for test output. */
    kafkaSource: string;
  }
}

/** The launcher instance the suite runs when it has to: its own port and data, apart from a developer's broker. */
export const TEST_BROKER: KafkaLauncherOptions = { port: 19092, name: "test" };

/** Confluent Platform 7.9 is Apache Kafka 3.9; @testcontainers/kafka 11 is built around its images. */
const KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0";

async function dockerAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * One broker for the integration suite: KAFKA_BROKERS when set; else a KafkaContainer when a
 * Docker engine answers; else the local launcher (Java). It stops what it started.
 */
export default async function setup(project: TestProject) {
  if (process.env.KAFKA_BROKERS) {
    project.provide("kafkaBrokers", process.env.KAFKA_BROKERS);
    project.provide("kafkaSource", "KAFKA_BROKERS");
    return;
  }
  if (await dockerAnswers()) {
    const container: StartedKafkaContainer = await new KafkaContainer(KAFKA_IMAGE).withKraft().start();
    project.provide("kafkaBrokers", `${container.getHost()}:${container.getMappedPort(9093)}`);
    project.provide("kafkaSource", `testcontainers ${KAFKA_IMAGE}`);
    return async () => void (await container.stop());
  }
  // A broker the suite starts begins empty, so no earlier run's records show up in this one.
  if (!(await kafkaStatus(TEST_BROKER)).answering) await resetKafkaData(TEST_BROKER);
  const started = await startKafka(TEST_BROKER);
  project.provide("kafkaBrokers", started.brokers);
  project.provide("kafkaSource", started.started ? "local launcher (started)" : "local launcher (already running)");
  return async () => {
    if (started.started) await stopKafka(TEST_BROKER);
  };
}
