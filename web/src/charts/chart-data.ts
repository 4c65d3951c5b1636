import type { CandlestickData, LineData, SeriesMarker, UTCTimestamp, WhitespaceData } from "lightweight-charts";
import type { Bar, BarInterval, Fill, Portfolio, Signal } from "../api/types";
import { chartTime } from "./create-chart";

/** API answers turned into lightweight-charts data: candles, markers and the equity curve. */

/** Each interval's bar length in ms; bars are epoch-aligned, so a bar starts at a multiple of it. */
export const INTERVAL_MS = { "1s": 1_000, "1m": 60_000, "5m": 300_000 } as const satisfies Record<BarInterval, number>;

/** The start of the bar at `interval` that holds `ts` (ms): bars are [start, start + length), epoch-aligned. */
export function barStart(ts: number, interval: BarInterval): number {
  const length = INTERVAL_MS[interval];
  return Math.floor(ts / length) * length;
}

/**
 * A gap longer than this many bars is drawn as a single break rather than a whitespace point per
 * missing bar: a night without 1s bars would be tens of thousands of empty slots.
 */
export const MAX_GAP_SLOTS = 600;

export type CandlePoint = CandlestickData<UTCTimestamp> | WhitespaceData<UTCTimestamp>;

/**
 * Candles of bars sorted by start, with a whitespace point at each missing bar start between two
 * bars, so the chart shows a break where the data has a gap instead of squeezing it out. A gap of
 * more than MAX_GAP_SLOTS bars gets one whitespace point, at its first missing start.
 */
export function candles(bars: readonly Bar[], interval: BarInterval = bars[0]?.interval ?? "1s"): CandlePoint[] {
  const length = INTERVAL_MS[interval];
  const points: CandlePoint[] = [];
  let previous: Bar | undefined;
  for (const bar of bars) {
    if (previous) {
      const missing = Math.round((bar.start - previous.start) / length) - 1;
      if (missing > MAX_GAP_SLOTS) points.push({ time: chartTime(previous.start + length) });
      else for (let i = 1; i <= missing; i += 1) points.push({ time: chartTime(previous.start + i * length) });
    }
    points.push({ time: chartTime(bar.start), open: bar.open, high: bar.high, low: bar.low, close: bar.close });
    previous = bar;
  }
  return points;
}

/** One signal or fill as a marker's tooltip tells it. */
export interface MarkerEvent {
  kind: "signal" | "fill";
  id: string;
  strategyId: string;
  /** long, short or flat for a signal; buy or sell for a fill. */
  side: string;
  /** The fill's quantity; null for a signal. */
  quantity: number | null;
  /** The fill price, or the mid when the signal fired. */
  price: number;
  tsEvent: number;
}

/** The events of one bar, oldest first, keyed by the bar's start (ms). */
export type BarEvents = ReadonlyMap<number, readonly MarkerEvent[]>;

/**
 * Signals and fills by the bar they belong to: each event's tsEvent snapped to the start of its
 * bar at the chart's interval. Only bars on the chart get events (the caller passes the bar
 * still forming among them when it is drawn): one before the first bar shown is left out.
 * `shown` filters by strategy (undefined: every strategy).
 */
export function eventsByBar(
  bars: readonly Pick<Bar, "start">[],
  interval: BarInterval,
  signals: readonly Signal[],
  fills: readonly Fill[],
  shown?: ReadonlySet<string>,
): Map<number, MarkerEvent[]> {
  const starts = new Set(bars.map((bar) => bar.start));
  const events: MarkerEvent[] = [
    ...signals.map((s): MarkerEvent => ({
      kind: "signal",
      id: s.signalId,
      strategyId: s.strategyId,
      side: s.direction,
      quantity: null,
      price: s.price,
      tsEvent: s.tsEvent,
    })),
    ...fills.map((f): MarkerEvent => ({
      kind: "fill",
      // one event per fill: an order filled in parts has several
      id: `${f.orderId}:${f.fillNo}`,
      strategyId: f.strategyId,
      side: f.side,
      quantity: f.quantity,
      price: f.price,
      tsEvent: f.tsEvent,
    })),
  ].sort((a, b) => a.tsEvent - b.tsEvent || a.id.localeCompare(b.id));
  const byBar = new Map<number, MarkerEvent[]>();
  for (const event of events) {
    if (shown && !shown.has(event.strategyId)) continue;
    const start = barStart(event.tsEvent, interval);
    if (!starts.has(start)) continue;
    const list = byBar.get(start);
    if (list) list.push(event);
    else byBar.set(start, [event]);
  }
  return byBar;
}

/** Colours for strategies, told apart from each other and from the candles' green and red. */
export const STRATEGY_COLORS = [
  "#2962ff",
  "#f0b90b",
  "#ab47bc",
  "#00bcd4",
  "#ff7043",
  "#9ccc65",
  "#ec407a",
  "#bdbdbd",
] as const;

/** A strategy's colour: chosen by a hash of its id, so it is the same on every load and interval. */
export function strategyColor(strategyId: string): string {
  let hash = 0;
  for (const char of strategyId) hash = (Math.imul(hash, 31) + char.codePointAt(0)!) | 0;
  return STRATEGY_COLORS[Math.abs(hash) % STRATEGY_COLORS.length]!;
}

/**
 * The markers of each bar's events: per bar and strategy, one marker for its signals (an arrow
 * under the bar when all are long, over it when all are short, a circle over it when flat or
 * mixed), one for its buys and one for its sells (a square at their quantity-weighted price), in
 * the strategy's colour. A marker of one event says what it is ("long", "B"); of several, how
 * many ("3 fills"): the crosshair tooltip has the details. lightweight-charts stacks a bar's
 * markers over and under it, so a bar has at most one there per strategy, however many events.
 */
export function chartMarkers(byBar: BarEvents): SeriesMarker<UTCTimestamp>[] {
  const markers: SeriesMarker<UTCTimestamp>[] = [];
  for (const start of [...byBar.keys()].sort((a, b) => a - b)) {
    const groups = new Map<string, MarkerEvent[]>();
    for (const event of byBar.get(start)!) {
      const role = event.kind === "fill" ? event.side : "any";
      const key = `${event.strategyId}\u0000${event.kind}\u0000${role}`;
      const group = groups.get(key);
      if (group) group.push(event);
      else groups.set(key, [event]);
    }
    for (const [key, group] of groups) {
      const [strategyId, kind, role] = key.split("\u0000") as [string, "signal" | "fill", string];
      const time = chartTime(start);
      const color = strategyColor(strategyId);
      const id = `${start}:${key.replaceAll("\u0000", ":")}`;
      const many = group.length > 1;
      if (kind === "signal") {
        const sides = new Set(group.map((e) => e.side));
        const only = sides.size === 1 ? group[0]!.side : "mixed";
        markers.push({
          id,
          time,
          position: only === "long" ? "belowBar" : "aboveBar",
          shape: only === "long" ? "arrowUp" : only === "short" ? "arrowDown" : "circle",
          color,
          text: many ? `${group.length} signals` : only,
        });
      } else {
        const quantity = group.reduce((sum, f) => sum + f.quantity!, 0);
        const price = group.reduce((sum, f) => sum + f.price * f.quantity!, 0) / quantity;
        markers.push({
          id,
          time,
          position: "atPriceMiddle",
          price,
          shape: "square",
          size: 0.6,
          color,
          text: many ? `${group.length} fills` : role === "buy" ? "B" : "S",
        });
      }
    }
  }
  return markers;
}

type EquityPoint = Portfolio["equityCurve"][number];

/**
 * Equity and drawdown (in percent, below zero) lines. The curve has a point per change, often
 * several a second; the chart's unit is the second and its times must strictly increase, so the
 * last point of each second stands for it.
 */
export function equityLines(curve: readonly EquityPoint[]): {
  equity: LineData<UTCTimestamp>[];
  drawdown: LineData<UTCTimestamp>[];
} {
  const equity: LineData<UTCTimestamp>[] = [];
  const drawdown: LineData<UTCTimestamp>[] = [];
  for (const point of curve) {
    const time = chartTime(point.ts);
    if (equity.at(-1)?.time === time) {
      equity.pop();
      drawdown.pop();
    }
    equity.push({ time, value: point.equity });
    drawdown.push({ time, value: percentBelowZero(point.drawdown) });
  }
  return { equity, drawdown };
}

/** A drawdown fraction as a percentage drawn below zero, to 4 decimals (0.0261 -> -2.61, not -2.6100000000000003). */
function percentBelowZero(fraction: number): number {
  return fraction === 0 ? 0 : -Math.round(fraction * 1e6) / 1e4;
}
