export {
  startProjector,
  isTransient,
  PROJECTED_TOPICS,
  SERVICE,
  type ProjectorDeps,
  type ProjectorService,
} from "./service";
export { ProjectorEnvSchema, projectorConfig, type ProjectorConfig } from "./config";
