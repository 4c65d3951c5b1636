import {
  EngineConfigSchema,
  parseStrategyParams,
  QuoteGuardConfigSchema,
  StrategyInstanceSchema,
  strategyDefinition,
  type EngineConfigInput,
  type StrategyInstance,
} from "@tickflow/core";
import { jsonVariable, readEnv, ServiceEnvSchema, type Env, type ServiceEnv } from "@tickflow/runtime";
import { z } from "zod";

/** Each strategy on a few symbols across asset classes: what `npm start` and the cloud run. */
export const DEFAULT_STRATEGIES: StrategyInstance[] = [
  { id: "sma-crossover", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD", "EUR-USD"], params: {} },
  { id: "mean-reversion", kind: "mean-reversion", symbols: ["MSFT", "ETH-USD", "GBP-USD"], params: {} },
  { id: "breakout", kind: "breakout", symbols: ["TSLA", "BTC-USD", "ETH-USD"], params: {} },
];

const Variables = z.object({
  ...ServiceEnvSchema.shape,
  ST_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(7002),
  ST_HTTP_HOST: z.string().default("127.0.0.1"),
  /** Consumer group on md.quotes.v1; also the key of the engine's snapshots. One active member per group. */
  ST_GROUP_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default("tickflow-strategy"),
  /** JSON array of {id, kind, symbols, params}; default: each strategy on three symbols. */
  ST_STRATEGIES: jsonVariable(z.array(StrategyInstanceSchema).min(1)).optional(),
  /** The paper venue (core's ExecutionSettingsSchema has the defaults and bounds). */
  ST_TAKER_FEE_BPS: z.coerce.number().min(0).optional(),
  ST_MAKER_FEE_BPS: z.coerce.number().min(0).optional(),
  ST_SLIPPAGE_BPS: z.coerce.number().min(0).optional(),
  ST_SLIPPAGE_TICKS: z.coerce.number().int().min(0).optional(),
  ST_LATENCY_MS: z.coerce.number().int().min(0).optional(),
  ST_FILL_ON_TOUCH: z.coerce.number().min(0).max(1).optional(),
  ST_FILL_SEED: z.string().min(1).optional(),
  ST_STARTING_CASH: z.coerce.number().positive().optional(),
  ST_MAX_POSITION: z.coerce.number().positive().optional(),
  ST_MAX_GROSS: z.coerce.number().positive().optional(),
  ST_MAX_DRAWDOWN: z.coerce.number().gt(0).max(1).optional(),
  /** The quote guard: band around the last accepted mid, widest spread, seq gap and clock skew (core's QuoteGuardConfigSchema has the defaults). */
  ST_PRICE_BAND_PCT: z.coerce.number().gt(0).max(100).optional(),
  ST_MAX_SPREAD_BPS: z.coerce.number().positive().optional(),
  ST_MAX_SEQ_GAP: z.coerce.number().int().min(0).optional(),
  ST_MAX_CLOCK_SKEW_MS: z.coerce.number().int().min(0).optional(),
  /** JSON of per-symbol overrides of the price checks, e.g. {"TSLA":{"priceBandPct":0.4}}. */
  ST_QUOTE_GUARD_SYMBOLS: jsonVariable(QuoteGuardConfigSchema.shape.symbols.unwrap()).optional(),
  /** Equity samples kept per strategy: the equity curve /strategies/{id} serves. */
  ST_HISTORY: z.coerce.number().int().min(10).max(100_000).default(500),
});

export interface StrategyWorkerConfig {
  logLevel: ServiceEnv["LOG_LEVEL"];
  httpPort: number;
  httpHost: string;
  groupId: string;
  engine: EngineConfigInput;
}

/**
 * The strategy worker's own variables (the bus and the metrics read theirs), parsed into its
 * configuration: the engine's settings are checked here too, so a bad strategy or limit fails at
 * start naming its variable.
 */
export const StrategyEnvSchema = Variables.transform((e, ctx): StrategyWorkerConfig => {
  const engine: EngineConfigInput = {
    strategies: e.ST_STRATEGIES ?? DEFAULT_STRATEGIES,
    execution: {
      takerFeeBps: e.ST_TAKER_FEE_BPS,
      makerFeeBps: e.ST_MAKER_FEE_BPS,
      slippageBps: e.ST_SLIPPAGE_BPS,
      slippageTicks: e.ST_SLIPPAGE_TICKS,
      latencyMs: e.ST_LATENCY_MS,
      fillOnTouchProbability: e.ST_FILL_ON_TOUCH,
      fillSeed: e.ST_FILL_SEED,
    },
    risk: {
      maxPositionNotional: e.ST_MAX_POSITION,
      maxGrossNotional: e.ST_MAX_GROSS,
      maxDrawdownPct: e.ST_MAX_DRAWDOWN,
    },
    startingCash: e.ST_STARTING_CASH,
    quoteGuard: {
      priceBandPct: e.ST_PRICE_BAND_PCT,
      maxSpreadBps: e.ST_MAX_SPREAD_BPS,
      maxSeqGap: e.ST_MAX_SEQ_GAP,
      maxClockSkewMs: e.ST_MAX_CLOCK_SKEW_MS,
      symbols: e.ST_QUOTE_GUARD_SYMBOLS,
    },
    publishBars: ["1s", "1m", "5m"],
    // the read side's equity history (strategy.equity.v1)
    publishEquity: true,
    equityCurveLimit: e.ST_HISTORY,
  };
  const check = EngineConfigSchema.safeParse(engine);
  if (!check.success) {
    ctx.addIssue({
      code: "custom",
      path: ["ST_STRATEGIES"],
      message: `the strategies, risk and quote guard settings: ${z.prettifyError(check.error)}`,
    });
    return z.NEVER;
  }
  try {
    for (const instance of engine.strategies) parseStrategyParams(strategyDefinition(instance.kind), instance.params);
  } catch (error) {
    ctx.addIssue({ code: "custom", path: ["ST_STRATEGIES"], message: (error as Error).message });
    return z.NEVER;
  }
  return {
    logLevel: e.LOG_LEVEL,
    httpPort: e.ST_HTTP_PORT,
    httpHost: e.ST_HTTP_HOST,
    groupId: e.ST_GROUP_ID,
    engine,
  };
});

/** Reads the strategy worker's configuration once, at start; a bad value names its variable. */
export function strategyWorkerConfig(env: Env): StrategyWorkerConfig {
  return readEnv(env, { worker: StrategyEnvSchema }).worker;
}
