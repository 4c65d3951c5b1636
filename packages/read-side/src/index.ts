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
/** Kysely's raw SQL tag, for what the typed builder does not say (the bench's bulk loads): one Kysely for all. */
export { sql } from "kysely";
