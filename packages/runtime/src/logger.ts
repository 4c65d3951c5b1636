import { pino, type Logger } from "pino";
import type { ServiceEnv } from "./config";

export type { Logger } from "pino";

/** Structured JSON logs, one line per event, each with the service it comes from. */
export function createLogger(service: string, level: ServiceEnv["LOG_LEVEL"]): Logger {
  return pino({ level, base: { service } });
}
