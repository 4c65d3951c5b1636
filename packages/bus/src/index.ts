export * from "./topics";
export * from "./codec";
export * from "./records";
export * from "./port";
export * from "./config";
export { KafkaBus, KafkaBusError, type KafkaBusTuning } from "./kafka-bus";
export { MemoryBus, FencedError, MEMORY_RETENTION_RECORDS } from "./memory-bus";
export { createBus } from "./create-bus";
export { consumerLag, readEvents, type PartitionLag } from "./reading";
