export * from "./schema";
export { MIGRATIONS, migrate, ping } from "./migrations";
export {
  databaseTarget,
  describeTarget,
  openDatabase,
  DatabaseEnvSchema,
  NO_DATABASE_MESSAGE,
  type DatabaseEnv,
  type DatabaseTarget,
} from "./database";
export { ReadSide, InvalidCursorError, type EventFilter, type Range } from "./queries";
export {
  applyBatch,
  prune,
  storedOffsets,
  type ProjectedBatch,
  type ProjectionResult,
  type Retention,
} from "./projection";
