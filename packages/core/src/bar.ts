import { z } from "zod";
import { midPrice, TimestampSchema, type QuoteTick } from "./tick";

export const BAR_INTERVALS = ["1s", "1m", "5m"] as const;
export const BarIntervalSchema = z.enum(BAR_INTERVALS);
export type BarInterval = z.infer<typeof BarIntervalSchema>;

export const INTERVAL_MS: Readonly<Record<BarInterval, number>> = { "1s": 1_000, "1m": 60_000, "5m": 300_000 };

/** A closed time bar: OHLC of the mid price, quoted volume and tick count over [start, end). */
export const BarSchema = z.object({
  symbol: z.string(),
  interval: BarIntervalSchema,
  start: TimestampSchema,
  end: TimestampSchema,
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  /** Sum over ticks of the mean of bid and ask sizes: quotes carry no traded volume. */
  volume: z.number().nonnegative(),
  tickCount: z.number().int().positive(),
  /** The bar's end boundary. */
  tsEvent: TimestampSchema,
  /** tsInit of the tick that closed the bar. */
  tsInit: TimestampSchema,
});
export type Bar = z.infer<typeof BarSchema>;

export interface OpenBar {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  tickCount: number;
  /** tsEvent of the tick that set `close`: a later-arriving earlier tick must not move it. */
  closeTs: number;
}

/** What an aggregator carries from tick to tick, as plain JSON: the bar being built and the late ticks counted. */
export interface BarState {
  current: OpenBar | null;
  lateTicks: number;
}

export function newBarState(): BarState {
  return { current: null, lateTicks: 0 };
}

/**
 * Builds epoch-aligned time bars for one symbol and interval. A bar is closed by the first tick
 * at or after its end; intervals without ticks produce no bar. A tick older than the open bar's
 * start is late: closed bars never change, so it is counted and not applied.
 */
export class BarAggregator {
  private readonly lengthMs: number;

  constructor(
    readonly symbol: string,
    readonly interval: BarInterval,
    /** The instrument's 10^pricePrecision, so mids are exact decimals. */
    private readonly priceScale: number,
    /** Where the aggregator keeps what it carries: the engine points it into its own state, and again after a restore. */
    public state: BarState = newBarState(),
  ) {
    this.lengthMs = INTERVAL_MS[interval];
  }

  /** Applies a tick; returns the bar it closed, if any. */
  update(tick: QuoteTick): Bar | null {
    const mid = midPrice(tick, this.priceScale);
    const size = (tick.bidSize + tick.askSize) / 2;
    const state = this.state;
    const bar = state.current;
    if (bar === null) {
      state.current = this.open(tick.tsEvent, mid, size);
      return null;
    }
    if (tick.tsEvent < bar.start) {
      state.lateTicks += 1;
      return null;
    }
    if (tick.tsEvent >= bar.start + this.lengthMs) {
      const closed = this.close(bar, tick.tsInit);
      state.current = this.open(tick.tsEvent, mid, size);
      return closed;
    }
    if (mid > bar.high) bar.high = mid;
    if (mid < bar.low) bar.low = mid;
    if (tick.tsEvent >= bar.closeTs) {
      bar.close = mid;
      bar.closeTs = tick.tsEvent;
    }
    bar.volume += size;
    bar.tickCount += 1;
    return null;
  }

  private open(ts: number, mid: number, size: number): OpenBar {
    const start = Math.floor(ts / this.lengthMs) * this.lengthMs;
    return { start, open: mid, high: mid, low: mid, close: mid, volume: size, tickCount: 1, closeTs: ts };
  }

  private close(bar: OpenBar, tsInit: number): Bar {
    const end = bar.start + this.lengthMs;
    return {
      symbol: this.symbol,
      interval: this.interval,
      start: bar.start,
      end,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      tickCount: bar.tickCount,
      tsEvent: end,
      tsInit,
    };
  }
}
