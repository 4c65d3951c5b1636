import { BaselineSeries, LineSeries, type IChartApi, type ISeriesApi } from "lightweight-charts";
import { useEffect, useRef } from "react";
import type { Portfolio } from "../api/types";
import { formatMoney } from "../format";
import { equityLines } from "./chart-data";
import { ACCENT, createDashboardChart, DOWN } from "./create-chart";

interface EquityChartProps {
  curve: Portfolio["equityCurve"];
}

/** Combined equity above, drawdown (in percent, drawn below zero) in a smaller pane under it. */
export function EquityChart({ curve }: EquityChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const equity = useRef<ISeriesApi<"Line"> | null>(null);
  const drawdown = useRef<ISeriesApi<"Baseline"> | null>(null);

  useEffect(() => {
    chart.current = createDashboardChart(container.current!);
    equity.current = chart.current.addSeries(LineSeries, {
      color: ACCENT,
      lineWidth: 2,
      priceFormat: { type: "custom", formatter: formatMoney, minMove: 0.01 },
    });
    // a baseline at zero fills between it and the curve: an area series would fill down to the pane's floor
    drawdown.current = chart.current.addSeries(
      BaselineSeries,
      {
        baseValue: { type: "price", price: 0 },
        bottomLineColor: DOWN,
        bottomFillColor1: "rgba(239, 83, 80, 0.05)",
        bottomFillColor2: "rgba(239, 83, 80, 0.4)",
        lineWidth: 1,
        priceFormat: { type: "custom", formatter: (v: number) => `${v.toFixed(2)}%`, minMove: 0.01 },
      },
      1,
    );
    chart.current.panes()[0]?.setStretchFactor(2);
    return () => {
      chart.current?.remove();
      chart.current = null;
      equity.current = null;
      drawdown.current = null;
    };
  }, []);

  useEffect(() => {
    const lines = equityLines(curve);
    equity.current?.setData(lines.equity);
    drawdown.current?.setData(lines.drawdown);
    // the whole run is the point of this chart: keep all of it in view as it grows
    chart.current?.timeScale().fitContent();
  }, [curve]);

  return (
    <div
      ref={container}
      className="chart chart-equity"
      role="img"
      aria-label="Equity curve and drawdown"
      data-testid="equity-chart"
    />
  );
}
