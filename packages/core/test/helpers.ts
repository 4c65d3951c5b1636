import { z } from "zod";
import {
  BaseParamsSchema,
  SignalDirectionSchema,
  type QuoteTick,
  type Strategy,
  type StrategyDefinition,
} from "../src";

/** A quote showing `size` on both sides (100 unless given); tsInit equals tsEvent. */
export function quote(symbol: string, seq: number, tsEvent: number, bid: number, ask: number, size = 100): QuoteTick {
  return { symbol, seq, tsEvent, tsInit: tsEvent, bid, ask, bidSize: size, askSize: size };
}

/** Builds a stream of quotes for one symbol from [tsEvent, bid, ask] triples, numbering seq from 1. */
export function quotes(symbol: string, rows: [number, number, number][], firstSeq = 1): QuoteTick[] {
  return rows.map(([ts, bid, ask], i) => quote(symbol, firstSeq + i, ts, bid, ask));
}

/** A test strategy that signals what its script says at the Nth closed bar of a symbol. */
export const scripted: StrategyDefinition = {
  kind: "scripted",
  description: "signals from a script, for tests",
  params: BaseParamsSchema.extend({ script: z.record(z.string(), SignalDirectionSchema).default({}) }),
  // the script may signal on the first bar
  warmupBars: () => 0,
  create(params, symbols): Strategy<Record<string, number>> {
    const p = params as { interval: "1s"; script: Record<string, z.infer<typeof SignalDirectionSchema>> };
    return {
      interval: p.interval,
      state: Object.fromEntries(symbols.map((s) => [s, 0])) as Record<string, number>,
      onStart() {},
      onQuote() {},
      onFill() {},
      onBar(bar, ctx) {
        const n = (this.state[bar.symbol] = (this.state[bar.symbol] ?? 0) + 1);
        const direction = p.script[`${bar.symbol}:${n}`];
        if (direction) ctx.signal({ symbol: bar.symbol, direction, reason: `script ${n}`, indicators: {} });
      },
    };
  },
};
