import type { CandlestickData, LineData, SeriesMarker, UTCTimestamp } from "lightweight-charts";
import type { Bar, Fill, Portfolio, Signal } from "../api/types";
import { chartTime, DOWN, NEUTRAL, UP } from "./create-chart";

/** API answers turned into lightweight-charts data: candles, markers and the equity curve. */

export function candles(bars: readonly Bar[]): CandlestickData<UTCTimestamp>[] {
  return bars.map((bar) => ({
    time: chartTime(bar.start),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
  }));
}

/**
 * Signal and fill markers for a candlestick chart. lightweight-charts draws a marker only on a
 * bar's time, so each event goes to the bar whose [start, end) holds its tsEvent; an event in the
 * bar still open (not yet on the chart), or outside the bars shown, waits or is left out.
 */
export function chartMarkers(
  bars: readonly Bar[],
  signals: readonly Signal[],
  fills: readonly Fill[],
): SeriesMarker<UTCTimestamp>[] {
  const markers: SeriesMarker<UTCTimestamp>[] = [];
  for (const signal of signals) {
    const bar = barAt(bars, signal.tsEvent);
    if (!bar) continue;
    const long = signal.direction === "long";
    const short = signal.direction === "short";
    markers.push({
      id: signal.signalId,
      time: chartTime(bar.start),
      position: long ? "belowBar" : "aboveBar",
      shape: long ? "arrowUp" : short ? "arrowDown" : "circle",
      color: long ? UP : short ? DOWN : NEUTRAL,
      text: signal.direction,
    });
  }
  for (const fill of fills) {
    const bar = barAt(bars, fill.tsEvent);
    if (!bar) continue;
    const buy = fill.side === "buy";
    markers.push({
      // one marker per fill: an order filled in parts has several
      id: `${fill.orderId}:${fill.fillNo}`,
      time: chartTime(bar.start),
      position: "atPriceMiddle",
      price: fill.price,
      shape: "square",
      size: 0.6,
      color: buy ? UP : DOWN,
      // the square sits at the fill price; a letter is all the crowded chart has room for
      text: buy ? "B" : "S",
    });
  }
  // the library expects markers in time order
  return markers.sort((a, b) => a.time - b.time);
}

/** The bar holding `ts`, by binary search over bars sorted by start. */
function barAt(bars: readonly Bar[], ts: number): Bar | undefined {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const bar = bars[mid]!;
    if (ts < bar.start) hi = mid - 1;
    else if (ts >= bar.end) lo = mid + 1;
    else return bar;
  }
  return undefined;
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
