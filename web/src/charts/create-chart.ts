import {
  ColorType,
  createChart,
  TickMarkType,
  type DeepPartial,
  type IChartApi,
  type Time,
  type TimeChartOptions,
  type UTCTimestamp,
} from "lightweight-charts";
import { formatTime } from "../format";

export const UP = "#26a69a";
export const DOWN = "#ef5350";
export const NEUTRAL = "#7e8aa8";
export const ACCENT = "#2962ff";
export const BORDER = "#2a2e39";

/** lightweight-charts counts time in whole seconds since the epoch; the API in milliseconds. */
export function chartTime(ms: number): UTCTimestamp {
  return Math.floor(ms / 1_000) as UTCTimestamp;
}

const hourMinute = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
const asMs = (time: Time) => (time as UTCTimestamp) * 1_000;

/**
 * A chart in the dashboard's dark theme that sizes itself to its container. The library prints
 * UTC; the axis and crosshair here show local time, like the feeds beside the chart.
 */
export function createDashboardChart(container: HTMLElement, options: DeepPartial<TimeChartOptions> = {}): IChartApi {
  return createChart(container, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: "#131722" },
      textColor: "#d1d4dc",
      fontSize: 11,
      panes: { separatorColor: "#2a2e39" },
    },
    grid: { vertLines: { color: "#1e222d" }, horzLines: { color: "#1e222d" } },
    rightPriceScale: { borderColor: BORDER },
    timeScale: {
      borderColor: BORDER,
      timeVisible: true,
      secondsVisible: true,
      tickMarkFormatter: (time: Time, type: TickMarkType) =>
        type === TickMarkType.TimeWithSeconds
          ? formatTime(asMs(time))
          : type === TickMarkType.Time
            ? hourMinute.format(asMs(time))
            : null,
    },
    localization: { locale: "en-US", timeFormatter: (time: Time) => formatTime(asMs(time)) },
    ...options,
  });
}
