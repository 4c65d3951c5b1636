import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

/** Placeholder: KAFKA_BROKERS only (the launcher and testcontainers paths arrive with the launcher). */
export default async function setup(project: TestProject) {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error("set KAFKA_BROKERS");
  project.provide("kafkaBrokers", brokers);
}
