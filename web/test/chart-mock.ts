/**
 * A stand-in for lightweight-charts' chart: happy-dom has no canvas. Only createChart and
 * createSeriesMarkers are replaced; series definitions and enums stay the library's own. Each
 * series and marker layer keeps what it was last given, for the tests to read.
 */
import { vi } from "vitest";

export interface FakeSeries {
  data: unknown[];
  options: Record<string, unknown>;
  paneIndex: number | undefined;
  markers: unknown[];
  /** The last point given to update() since the last setData (the forming candle), or null. */
  updated: unknown;
}

export interface FakeChart {
  series: FakeSeries[];
  removed: boolean;
  /** The crosshair handlers subscribed: a test moves the crosshair by calling them. */
  crosshair: ((param: { time?: number }) => void)[];
}

export const charts: FakeChart[] = [];

export function createChart() {
  const chart: FakeChart = { series: [], removed: false, crosshair: [] };
  charts.push(chart);
  return {
    addSeries: (_definition: unknown, options: Record<string, unknown> = {}, paneIndex?: number) => {
      const series: FakeSeries = { data: [], options, paneIndex, markers: [], updated: null };
      chart.series.push(series);
      return {
        setData: (data: unknown[]) => {
          series.data = data;
          series.updated = null;
        },
        // kept apart from setData's points: the live candle the chart draws after the closed bars
        update: (point: { time: number }) => void (series.updated = point),
        applyOptions: (more: Record<string, unknown>) => void Object.assign(series.options, more),
        priceToCoordinate: () => null,
        fake: series,
      };
    },
    panes: () => [{ setStretchFactor: vi.fn() }, { setStretchFactor: vi.fn() }],
    timeScale: () => ({ fitContent: vi.fn(), timeToCoordinate: () => null }),
    paneSize: () => ({ width: 0, height: 0 }),
    subscribeCrosshairMove: (handler: (param: { time?: number }) => void) => void chart.crosshair.push(handler),
    unsubscribeCrosshairMove: (handler: (param: { time?: number }) => void) =>
      void chart.crosshair.splice(chart.crosshair.indexOf(handler), 1),
    remove: () => void (chart.removed = true),
  };
}

export function createSeriesMarkers(series: { fake: FakeSeries }) {
  return { setMarkers: (markers: unknown[]) => void (series.fake.markers = markers) };
}

/** The live (not removed) chart's series, newest chart last. */
export function liveSeries(): FakeSeries[] {
  return charts.filter((c) => !c.removed).flatMap((c) => c.series);
}

/** Moves the live chart's crosshair to a time (seconds), or off the chart (undefined). */
export function moveCrosshair(time: number | undefined): void {
  for (const chart of charts.filter((c) => !c.removed)) for (const handler of chart.crosshair) handler({ time });
}

/** The library with its two chart factories replaced: `vi.mock("lightweight-charts", ...)` returns this. */
export function withFakeCharts(library: object) {
  return { ...library, createChart, createSeriesMarkers };
}
