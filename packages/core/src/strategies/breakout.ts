import { z } from "zod";
import {
  BaseParamsSchema,
  EntryOrderSchema,
  perSymbolBarStrategy,
  pushWindow,
  type SignalDirection,
  type StrategyDefinition,
  type Window,
} from "./strategy";

export const BreakoutParamsSchema = BaseParamsSchema.extend({
  /** A stop at the channel: the entry goes out only while the price holds beyond it. */
  entryOrder: EntryOrderSchema.default("stop"),
  /** Donchian channel length for entries, in bars. */
  window: z.number().int().min(2).default(60),
  /** Shorter channel for exits, in bars. */
  exitWindow: z.number().int().min(1).default(20),
}).refine((p) => p.exitWindow < p.window, { message: "exitWindow must be shorter than window", path: ["exitWindow"] });
export type BreakoutParams = z.infer<typeof BreakoutParamsSchema>;

interface SymbolState {
  highs: Window;
  lows: Window;
  target: SignalDirection;
}

/** Donchian breakout: long above the highest high of the prior bars, short below the lowest low. */
export const breakout: StrategyDefinition<typeof BreakoutParamsSchema> = {
  kind: "breakout",
  description:
    "Donchian breakout: long above the prior window's high, short below its low; exit on the shorter channel",
  params: BreakoutParamsSchema,
  // the channel is over the bars before the current one: `window` of them, then a bar to break it
  warmupBars: (params) => params.window,
  create(params, symbols) {
    return perSymbolBarStrategy<SymbolState>({
      interval: params.interval,
      symbols,
      initial: () => ({
        highs: { values: [], size: params.window },
        lows: { values: [], size: params.window },
        target: "flat",
      }),
      onBar(st, bar, ctx) {
        // channels over the bars before this one, so a breakout compares against history only
        if (st.highs.values.length === params.window) {
          const upper = Math.max(...st.highs.values);
          const lower = Math.min(...st.lows.values);
          const exitLower = Math.min(...st.lows.values.slice(-params.exitWindow));
          const exitUpper = Math.max(...st.highs.values.slice(-params.exitWindow));
          let next = st.target;
          let reason = "";
          if (bar.close > upper && st.target !== "long") {
            next = "long";
            reason = `close ${bar.close} above ${params.window}-bar high ${upper}`;
          } else if (bar.close < lower && st.target !== "short" && params.allowShort) {
            next = "short";
            reason = `close ${bar.close} below ${params.window}-bar low ${lower}`;
          } else if (st.target === "long" && bar.close < exitLower) {
            next = "flat";
            reason = `close ${bar.close} below ${params.exitWindow}-bar low ${exitLower}`;
          } else if (st.target === "short" && bar.close > exitUpper) {
            next = "flat";
            reason = `close ${bar.close} above ${params.exitWindow}-bar high ${exitUpper}`;
          }
          if (next !== st.target) {
            st.target = next;
            ctx.signal({
              symbol: bar.symbol,
              direction: next,
              reason,
              indicators: { upper, lower, exitUpper, exitLower },
              entryPrice: next === "long" ? upper : lower,
              // half the channel's width: how far the price ranged over the window
              volatility: (upper - lower) / 2,
            });
          }
        }
        pushWindow(st.highs, bar.high);
        pushWindow(st.lows, bar.low);
      },
    });
  },
};
