import { ConfigError } from "@tickflow/core";
import { z } from "zod";

/** The environment a process reads its configuration from. */
export type Env = Record<string, string | undefined>;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** What every long-running process reads besides its own settings. */
export const ServiceEnvSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
});
export type ServiceEnv = z.output<typeof ServiceEnvSchema>;

type Parts = Record<string, z.ZodType>;
type Parsed<P extends Parts> = { [K in keyof P]: z.output<P[K]> };

/**
 * Reads a process's configuration once, at start: each package contributes the zod schema of the
 * variables it reads (a part), and every part is parsed against the same environment. A variable
 * set to "" is unset everywhere (Compose files and SST bindings pass empty strings). Every
 * problem of every part is reported at once, in one format: `NAME: what is wrong`, joined by "; ".
 */
export function readEnv<P extends Parts>(env: Env, parts: P): Parsed<P> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(parts)) {
    const result = schema.safeParse(present);
    if (result.success) parsed[name] = result.data;
    else
      problems.push(
        ...result.error.issues.map(
          (issue) => `${issue.path.length > 0 ? issue.path.join(".") : name}: ${issue.message}`,
        ),
      );
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join("; "));
  return parsed as Parsed<P>;
}

/** A variable holding JSON that must fit `schema`: "not JSON" and schema problems both name the variable. */
export function jsonVariable<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `not JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
