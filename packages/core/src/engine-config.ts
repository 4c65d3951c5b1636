import { z } from "zod";
import { BarIntervalSchema } from "./bar";
import { QuoteGuardConfigSchema } from "./quote-guard";

export const StrategyInstanceSchema = z.object({
  /** Unique id of this running instance; the Kafka key of its events. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "ids are lower-case letters, digits and dashes"),
  kind: z.string(),
  symbols: z.array(z.string()).min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type StrategyInstance = z.infer<typeof StrategyInstanceSchema>;

/** How paper orders meet the quotes: the same settings live and in backtests. */
export const ExecutionSettingsSchema = z.object({
  /** Fee of a fill that takes liquidity (a marketable order, a triggered stop), in bps of its notional. */
  takerFeeBps: z.number().min(0).max(1000).default(1),
  /** Fee of a fill that rests first (a limit the market comes to), in bps; negative would be a rebate, not modelled. */
  makerFeeBps: z.number().min(0).max(1000).default(0),
  /** Taker fills this many bps beyond the touch, rounded away from the order to the price grid. */
  slippageBps: z.number().min(0).max(1000).default(0),
  /** And this many price increments beyond it. */
  slippageTicks: z.number().int().min(0).max(1000).default(0),
  /** An order meets the first quote at or after its submission time plus this (event time). */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /**
   * Chance a resting limit fills when the opposite touch reaches its price exactly (a touch
   * through it always fills): models the queue ahead of it. Drawn from a generator seeded per
   * symbol by `fillSeed`, so a run repeats.
   */
  fillOnTouchProbability: z.number().min(0).max(1).default(1),
  fillSeed: z.string().default("tickflow"),
});
export type ExecutionSettings = z.infer<typeof ExecutionSettingsSchema>;

export const RiskLimitsSchema = z.object({
  maxPositionNotional: z.number().positive().default(50_000),
  maxGrossNotional: z.number().positive().default(150_000),
  /** Fraction of peak equity; reaching it halts the strategy and flattens it. */
  maxDrawdownPct: z.number().gt(0).max(1).default(0.1),
});
export type RiskLimits = z.infer<typeof RiskLimitsSchema>;

export const EngineConfigSchema = z.object({
  strategies: z.array(StrategyInstanceSchema).min(1),
  execution: ExecutionSettingsSchema.prefault({}),
  risk: RiskLimitsSchema.prefault({}),
  /** What a quote must satisfy before it touches any state (the same live and in backtests). */
  quoteGuard: QuoteGuardConfigSchema.prefault({}),
  /** Per strategy, in account currency. */
  startingCash: z.number().positive().default(100_000),
  /** Bar intervals to emit as `bar.closed` for every symbol (live publishes all three). */
  publishBars: z.array(BarIntervalSchema).default([]),
  /**
   * Whether each closed bar also publishes equity.sampled per subscribed strategy and one
   * portfolio.sampled (the read side's equity history; the strategy worker sets it). A backtest
   * keeps its equity curve either way and needs no events for it: building them per bar cost
   * the backtest path half its speed.
   */
  publishEquity: z.boolean().default(false),
  /** Keep only the last N equity samples per strategy (live); unbounded when absent (backtest). */
  equityCurveLimit: z.number().int().positive().optional(),
});
export type EngineConfig = z.infer<typeof EngineConfigSchema>;
export type EngineConfigInput = z.input<typeof EngineConfigSchema>;
