import { DEFAULT_UNIVERSE, REPLAY_FORMATS } from "@tickflow/core";
import { readEnv, ServiceEnvSchema, type Env } from "@tickflow/runtime";
import { z } from "zod";

const symbols = DEFAULT_UNIVERSE.map((i) => i.symbol);

/** The market-data worker's own variables (the bus and the metrics read theirs). */
export const MarketDataEnvSchema = z
  .object({
    ...ServiceEnvSchema.shape,
    MD_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(7001),
    MD_HTTP_HOST: z.string().default("127.0.0.1"),
    MD_SYMBOLS: z
      .string()
      .default(symbols.join(","))
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    MD_SEED: z.string().min(1).default("42"),
    /** Per symbol; 0 publishes as fast as the broker takes it. */
    MD_TICKS_PER_SECOND: z.coerce.number().min(0).max(100_000).default(20),
    /** wall: tsEvent is now; simulated: a simulated clock from MD_START_TIME (reproducible runs). */
    MD_CLOCK: z.enum(["wall", "simulated"]).default("wall"),
    MD_START_TIME: z.coerce.number().int().optional(),
    /** Stop publishing after this many ticks in total (0: never). */
    MD_MAX_TICKS: z.coerce.number().int().min(0).default(0),
    /** Tickflow, Tardis quotes or Databento MBP-1/BBO CSV, gzip or plain. */
    MD_REPLAY_FILE: z.string().optional(),
    /** The replay file's format; by default the header tells. */
    MD_REPLAY_FORMAT: z.enum(REPLAY_FORMATS).optional(),
    /** Instruments beyond the default universe (JSON or CSV), merged into it. */
    MD_INSTRUMENTS_FILE: z.string().optional(),
    /** Replay speed against the file's timestamps; 0 replays as fast as possible. */
    MD_REPLAY_SPEED: z.coerce.number().min(0).default(1),
    /** Ticks per symbol kept for /quotes/{symbol}. */
    MD_HISTORY: z.coerce.number().int().min(1).max(100_000).default(300),
  })
  // with an instruments file, startMarketData checks the symbols against the universe it makes
  .refine(
    (c) =>
      c.MD_SYMBOLS.length > 0 &&
      (c.MD_INSTRUMENTS_FILE !== undefined || c.MD_SYMBOLS.every((s) => symbols.includes(s))),
    {
      message: `comma-separated symbols from: ${symbols.join(", ")}`,
      path: ["MD_SYMBOLS"],
    },
  );

export type MarketDataConfig = z.output<typeof MarketDataEnvSchema>;

/** Reads the market-data worker's configuration once, at start; a bad value names its variable. */
export function marketDataConfig(env: Env): MarketDataConfig {
  return readEnv(env, { worker: MarketDataEnvSchema }).worker;
}
