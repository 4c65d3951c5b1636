import { z } from "zod";
import {
  BaseParamsSchema,
  EntryOrderSchema,
  mean,
  perSymbolBarStrategy,
  pushWindow,
  round6,
  stdDev,
  type SignalDirection,
  type StrategyDefinition,
  type Window,
} from "./strategy";

export const MeanReversionParamsSchema = BaseParamsSchema.extend({
  /** A limit at the band: the entry never pays beyond it, and rests if the price is back inside. */
  entryOrder: EntryOrderSchema.default("limit"),
  window: z.number().int().min(2).default(30),
  /** Enter when |z| reaches this many standard deviations (the Bollinger band width). */
  entryZ: z.number().positive().default(2),
  /** Exit when the close is back within this many standard deviations of the mean. */
  exitZ: z.number().nonnegative().default(0.5),
}).refine((p) => p.exitZ < p.entryZ, { message: "exitZ must be below entryZ", path: ["exitZ"] });
export type MeanReversionParams = z.infer<typeof MeanReversionParamsSchema>;

interface SymbolState {
  closes: Window;
  target: SignalDirection;
}

/** Bollinger/z-score mean reversion: fade a close outside the bands, exit near the mean. */
export const meanReversion: StrategyDefinition<typeof MeanReversionParamsSchema> = {
  kind: "mean-reversion",
  description:
    "Z-score mean reversion: short above mean + entryZ·σ, long below mean − entryZ·σ (a limit at the band), exit within exitZ·σ",
  params: MeanReversionParamsSchema,
  // the z-score needs a full window; the bar that fills it may already signal
  warmupBars: (params) => params.window - 1,
  create(params, symbols) {
    return perSymbolBarStrategy<SymbolState>({
      interval: params.interval,
      symbols,
      initial: () => ({ closes: { values: [], size: params.window }, target: "flat" }),
      onBar(st, bar, ctx) {
        pushWindow(st.closes, bar.close);
        if (st.closes.values.length < params.window) return;
        const mu = mean(st.closes.values);
        const sigma = stdDev(st.closes.values, mu);
        if (sigma === 0) return;
        const z = (bar.close - mu) / sigma;
        let next = st.target;
        if (st.target === "flat") {
          if (z >= params.entryZ && params.allowShort) next = "short";
          else if (z <= -params.entryZ) next = "long";
        } else if ((st.target === "long" && z >= -params.exitZ) || (st.target === "short" && z <= params.exitZ)) {
          next = "flat";
        }
        if (next === st.target) return;
        st.target = next;
        ctx.signal({
          symbol: bar.symbol,
          direction: next,
          reason:
            next === "flat"
              ? `z-score ${z.toFixed(2)} back within ${params.exitZ}σ`
              : `z-score ${z.toFixed(2)} beyond ${params.entryZ}σ`,
          indicators: { z: round6(z), mean: round6(mu), sigma: round6(sigma) },
          entryPrice: next === "short" ? mu + params.entryZ * sigma : mu - params.entryZ * sigma,
          volatility: sigma,
        });
      },
    });
  },
};
