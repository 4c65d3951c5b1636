import {
  type AutoscaleInfo,
  CandlestickSeries,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type MouseEventParams,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef, useState } from "react";
import type { Bar, BarInterval } from "../api/types";
import { formatPrice, formatQuantity, formatTime } from "../format";
import type { FormingBar } from "../api/stream-merge";
import { candles, strategyColor, type BarEvents, type MarkerEvent } from "./chart-data";
import { BORDER, chartTime, createDashboardChart, DOWN, UP } from "./create-chart";

interface CandlestickChartProps {
  bars: readonly Bar[];
  interval: BarInterval;
  markers: SeriesMarker<UTCTimestamp>[];
  /** The events behind the markers, by bar start (ms), for the tooltip. */
  events: BarEvents;
  /** The instrument's price decimals and tick size, for the price axis. */
  precision: number | undefined;
  increment: number | undefined;
  label: string;
  /** The bar still forming, from the quotes since the last closed bar: drawn as the last candle. */
  forming?: FormingBar | null;
}

/** Where a marker is drawn, in the price pane's pixels: what the end-to-end test checks. */
export interface MarkerPosition {
  id: string;
  /** The start of its bar (ms), and whether that bar is the one still forming. */
  start: number;
  forming: boolean;
  x: number | null;
  y: number | null;
}

/**
 * The chart's container carries `markerPositions()` for tests driving a real browser: each
 * marker's x (its bar's centre) and y (its price, or its bar's high or low for markers over or
 * under the bar), and the price pane's size, read from the chart's own coordinate conversions.
 */
export interface ChartElement extends HTMLDivElement {
  markerPositions?: () => { pane: { width: number; height: number }; markers: MarkerPosition[] };
  /**
   * The closed bars' range and every event behind the markers (a fill's id is `orderId:fillNo`),
   * duplicates included, and the forming candle: for the end-to-end test of the stream.
   */
  chartEvents?: () => {
    firstStart: number | null;
    lastEnd: number | null;
    events: { kind: MarkerEvent["kind"]; id: string; tsEvent: number }[];
    forming: FormingBar | null;
  };
}

/** The bar under the crosshair. */
interface Hover {
  bar: Pick<Bar, "start" | "open" | "high" | "low" | "close"> & { volume: number | null };
  events: readonly MarkerEvent[];
}

/**
 * Candles of one symbol and interval with signal and fill markers, a break where bars are
 * missing, and a tooltip for the bar under the crosshair; data updates keep the user's zoom.
 */
export function CandlestickChart({
  bars,
  interval,
  markers,
  events,
  precision,
  increment,
  label,
  forming = null,
}: CandlestickChartProps) {
  const container = useRef<ChartElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const series = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const markerLayer = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const fitted = useRef(false);
  // the crosshair handler is subscribed once; it reads the latest data through this
  const latest = useRef({ bars, events, markers, forming });
  latest.current = { bars, events, markers, forming };
  const [hover, setHover] = useState<Hover | null>(null);
  /** The prices of the visible markers drawn at a price (fills). */
  const visibleMarkerPrices = () => {
    const range = chart.current?.timeScale().getVisibleRange();
    return latest.current.markers
      .filter((m) => m.position === "atPriceMiddle")
      .filter((m) => !range || (m.time >= (range.from as UTCTimestamp) && m.time <= (range.to as UTCTimestamp)))
      .map((m) => (m as { price: number }).price);
  };

  useEffect(() => {
    // room over and under the candles for a bar's stacked markers and their labels
    chart.current = createDashboardChart(container.current!, {
      rightPriceScale: { borderColor: BORDER, scaleMargins: { top: 0.22, bottom: 0.22 } },
    });
    series.current = chart.current.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
      autoscaleInfoProvider: (original: () => AutoscaleInfo | null) =>
        withMarkerPrices(original(), visibleMarkerPrices()),
    });
    markerLayer.current = createSeriesMarkers(series.current, []);
    const onMove = (param: MouseEventParams<Time>) => {
      const time = param.time as UTCTimestamp | undefined;
      const bar = time === undefined ? undefined : barAtTime(latest.current.bars, time * 1_000);
      const open = latest.current.forming;
      // the bar still forming: its OHLC so far, no volume (quotes carry none the page could sum)
      if (!bar && time !== undefined && open && open.start === time * 1_000)
        setHover({ bar: { ...open, volume: null }, events: [] });
      else setHover(bar ? { bar, events: latest.current.events.get(bar.start) ?? [] } : null);
    };
    chart.current.subscribeCrosshairMove(onMove);
    const element = container.current!;
    element.markerPositions = () => {
      const pane = chart.current!.paneSize(0);
      const { bars: closed, forming: open } = latest.current;
      const byStart = new Map<number, { high: number; low: number }>(closed.map((b) => [b.start, b]));
      if (open) byStart.set(open.start, open);
      return {
        pane: { width: pane.width, height: pane.height },
        markers: latest.current.markers.map((marker) => {
          const bar = byStart.get(marker.time * 1_000);
          const price =
            marker.position === "atPriceMiddle" ? marker.price : marker.position === "aboveBar" ? bar?.high : bar?.low;
          return {
            id: marker.id ?? "",
            start: marker.time * 1_000,
            forming: open?.start === marker.time * 1_000,
            x: chart.current!.timeScale().timeToCoordinate(marker.time),
            y: price === undefined ? null : series.current!.priceToCoordinate(price),
          };
        }),
      };
    };
    element.chartEvents = () => {
      const { bars: shown, events: byBar, forming: open } = latest.current;
      return {
        firstStart: shown[0]?.start ?? null,
        lastEnd: shown.at(-1)?.end ?? null,
        events: [...byBar.values()].flat().map((e) => ({ kind: e.kind, id: e.id, tsEvent: e.tsEvent })),
        forming: open,
      };
    };
    return () => {
      chart.current?.unsubscribeCrosshairMove(onMove);
      delete element.markerPositions;
      delete element.chartEvents;
      chart.current?.remove();
      chart.current = null;
      series.current = null;
      markerLayer.current = null;
      fitted.current = false;
    };
  }, []);

  useEffect(() => {
    if (precision === undefined || increment === undefined) return;
    series.current?.applyOptions({ priceFormat: { type: "price", precision, minMove: increment } });
  }, [precision, increment]);

  useEffect(() => {
    series.current?.setData(candles(bars, interval));
    // fit once, on the first bars: later polls must not undo the user's zoom or scroll
    if (!fitted.current && bars.length > 0) {
      chart.current?.timeScale().fitContent();
      fitted.current = true;
    }
  }, [bars, interval]);

  // the forming bar after the closed ones (set again after each setData, which drops it)
  useEffect(() => {
    const last = bars.at(-1);
    if (!forming || (last && forming.start <= last.start)) return;
    series.current?.update({
      time: chartTime(forming.start),
      open: forming.open,
      high: forming.high,
      low: forming.low,
      close: forming.close,
    });
    // a long interval's first bar, still forming, is all there is: fit to it
    if (!fitted.current) {
      chart.current?.timeScale().fitContent();
      fitted.current = true;
    }
  }, [bars, forming]);

  useEffect(() => {
    markerLayer.current?.setMarkers(markers);
  }, [markers]);

  return (
    <div ref={container} className="chart" role="img" aria-label={label} data-testid="price-chart">
      {hover && <ChartTooltip hover={hover} precision={precision} />}
    </div>
  );
}

/** Details shown for at most this many events of a bar; the rest are counted. */
const TOOLTIP_EVENTS = 8;

function ChartTooltip({ hover, precision }: { hover: Hover; precision: number | undefined }) {
  const { bar, events } = hover;
  const price = (value: number) => formatPrice(value, precision);
  return (
    <div className="chart-tooltip" data-testid="chart-tooltip">
      <p className="ohlc">
        <span className="muted">{formatTime(bar.start)}</span> O {price(bar.open)} H {price(bar.high)} L{" "}
        {price(bar.low)} C {price(bar.close)}{" "}
        {bar.volume === null ? (
          <span className="muted">forming</span>
        ) : (
          <>
            <span className="muted">V</span> {formatQuantity(bar.volume)}
          </>
        )}
      </p>
      {events.length > 0 && (
        <ul>
          {events.slice(0, TOOLTIP_EVENTS).map((event) => (
            <li key={event.kind + event.id}>
              <span className="swatch" style={{ background: strategyColor(event.strategyId) }} aria-hidden="true" />
              {event.strategyId} {event.kind === "fill" ? "fill" : "signal"} {event.side}
              {event.quantity !== null && ` ${formatQuantity(event.quantity)}`} @ {price(event.price)}
            </li>
          ))}
          {events.length > TOOLTIP_EVENTS && <li className="muted">and {events.length - TOOLTIP_EVENTS} more</li>}
        </ul>
      )}
    </div>
  );
}

/**
 * The price scale's range widened to the markers drawn at a price: the forming bar's high and
 * low are only what the page has seen of it, and a fill earlier in that bar must not lie off the pane.
 */
export function withMarkerPrices(info: AutoscaleInfo | null, prices: readonly number[]): AutoscaleInfo | null {
  if (prices.length === 0) return info;
  const low = Math.min(...prices);
  const high = Math.max(...prices);
  const range = info?.priceRange;
  return {
    ...info,
    priceRange: range
      ? { minValue: Math.min(range.minValue, low), maxValue: Math.max(range.maxValue, high) }
      : { minValue: low, maxValue: high },
  };
}

/** The bar starting at `start` (ms), by binary search over bars sorted by start. */
function barAtTime(bars: readonly Bar[], start: number): Bar | undefined {
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const bar = bars[mid]!;
    if (start < bar.start) hi = mid - 1;
    else if (start > bar.start) lo = mid + 1;
    else return bar;
  }
  return undefined;
}
