import { z } from "zod";
import {
  BaseParamsSchema,
  mean,
  perSymbolBarStrategy,
  pushWindow,
  round6,
  stdDev,
  type SignalDirection,
  type StrategyDefinition,
  type Window,
} from "./strategy";

export const SmaCrossoverParamsSchema = BaseParamsSchema.extend({
  fast: z.number().int().min(1).default(10),
  slow: z.number().int().min(2).default(30),
}).refine((p) => p.fast < p.slow, { message: "fast must be shorter than slow", path: ["fast"] });
export type SmaCrossoverParams = z.infer<typeof SmaCrossoverParamsSchema>;

interface SymbolState {
  closes: Window;
  /** Sign of fast - slow at the last bar: 1, -1, or 0 before warm-up. */
  lastSide: number;
}

/** Long when the fast SMA of closes crosses above the slow one, short (or flat) when it crosses below. */
export const smaCrossover: StrategyDefinition<typeof SmaCrossoverParamsSchema> = {
  kind: "sma-crossover",
  description: "Moving-average crossover: long when SMA(fast) crosses above SMA(slow), short when below",
  params: SmaCrossoverParamsSchema,
  // the slow window fills at bar `slow` and sets the side; the first cross can come on the bar after
  warmupBars: (params) => params.slow,
  create(params, symbols) {
    return perSymbolBarStrategy<SymbolState>({
      interval: params.interval,
      symbols,
      initial: () => ({ closes: { values: [], size: params.slow }, lastSide: 0 }),
      onBar(st, bar, ctx) {
        pushWindow(st.closes, bar.close);
        if (st.closes.values.length < params.slow) return;
        const fast = mean(st.closes.values.slice(-params.fast));
        const slow = mean(st.closes.values);
        const side = fast > slow ? 1 : fast < slow ? -1 : st.lastSide;
        if (st.lastSide !== 0 && side !== st.lastSide) {
          const direction: SignalDirection = side > 0 ? "long" : params.allowShort ? "short" : "flat";
          ctx.signal({
            symbol: bar.symbol,
            direction,
            reason: `SMA(${params.fast}) crossed ${side > 0 ? "above" : "below"} SMA(${params.slow})`,
            indicators: { fast: round6(fast), slow: round6(slow) },
            entryPrice: bar.close,
            volatility: stdDev(st.closes.values, slow),
          });
        }
        st.lastSide = side;
      },
    });
  },
};
