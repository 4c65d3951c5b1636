import {
  CandlestickSeries,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef } from "react";
import type { Bar } from "../api/types";
import { candles } from "./chart-data";
import { createDashboardChart, DOWN, UP } from "./create-chart";

interface CandlestickChartProps {
  bars: readonly Bar[];
  markers: SeriesMarker<UTCTimestamp>[];
  /** The instrument's price decimals and tick size, for the price axis. */
  precision: number | undefined;
  increment: number | undefined;
  label: string;
}

/** Candles of one symbol and interval with signal and fill markers; data updates keep the user's zoom. */
export function CandlestickChart({ bars, markers, precision, increment, label }: CandlestickChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const series = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const markerLayer = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const fitted = useRef(false);

  useEffect(() => {
    chart.current = createDashboardChart(container.current!);
    series.current = chart.current.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    markerLayer.current = createSeriesMarkers(series.current, []);
    return () => {
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
    series.current?.setData(candles(bars));
    // fit once, on the first bars: later polls must not undo the user's zoom or scroll
    if (!fitted.current && bars.length > 0) {
      chart.current?.timeScale().fitContent();
      fitted.current = true;
    }
  }, [bars]);

  useEffect(() => {
    markerLayer.current?.setMarkers(markers);
  }, [markers]);

  return <div ref={container} className="chart" role="img" aria-label={label} data-testid="price-chart" />;
}
