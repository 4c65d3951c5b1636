import { useQueries, useQuery } from "@tanstack/react-query";
import { LineSeries, type IChartApi, type ISeriesApi } from "lightweight-charts";
import { useEffect, useMemo, useRef, useState } from "react";
import { equityRangeQuery, portfolioQuery, strategiesQuery } from "../api/queries";
import type { EquityPoint, Portfolio, Strategy } from "../api/types";
import { strategyColor } from "../charts/chart-data";
import { comparisonFrom, comparisonLine, comparisonRows, reconcile, type ComparisonRow } from "../charts/comparison";
import { createDashboardChart } from "../charts/create-chart";
import { direction, formatFraction, formatMoney, formatPnl } from "../format";
import { emptyList, QueryView } from "./query-view";

/** What the Sharpe column says it is, in its title (the README says the same). */
export const SHARPE_TITLE =
  "Per-minute Sharpe ratio over the last 2 hours, not annualised, no risk-free rate: mean / standard deviation " +
  "(n - 1) of minute-to-minute equity returns, each curve resampled to its last equity per minute " +
  "(carried over minutes without a sample), so strategies on 1s, 1m and 5m bars compare";

/**
 * Each strategy's curve (undefined while it loads) and the first failure's message: a stable
 * function, so TanStack keeps the result between renders.
 */
const curveData = (results: { data: EquityPoint[] | undefined; error: Error | null }[]) => ({
  data: results.map((r) => r.data),
  error: results.find((r) => r.error !== null)?.error?.message,
});

/** How often the window's start is looked at again: it moves every 10 minutes. */
const WINDOW_CHECK_MS = 60_000;

/**
 * Every strategy side by side: their equity curves (as net PnL) overlaid on one chart, and a table
 * of net PnL, fees, win rate, max drawdown and Sharpe, with a warning when the strategies do not
 * add up to the portfolio.
 */
export function StrategyComparison() {
  const strategies = useQuery(strategiesQuery());
  return (
    <section className="panel comparison" aria-labelledby="comparison-title">
      <h2 id="comparison-title">Strategy comparison</h2>
      <QueryView query={strategies} what="strategies" empty={emptyList("No strategies are running.")}>
        {(rows) => <Comparison strategies={rows} />}
      </QueryView>
    </section>
  );
}

function Comparison({ strategies }: { strategies: Strategy[] }) {
  const from = useWindowStart();
  const { data: curves, error } = useQueries({
    queries: strategies.map((s) => equityRangeQuery(s.id, from)),
    combine: curveData,
  });
  const byStrategy = useMemo(() => {
    const map = new Map<string, EquityPoint[]>();
    strategies.forEach((s, i) => {
      const curve = curves[i];
      if (curve !== undefined) map.set(s.id, curve);
    });
    return map;
  }, [strategies, curves]);
  const rows = comparisonRows(strategies, byStrategy);
  return (
    <>
      <ReconcileWarning running={strategies.map((s) => s.id)} />
      {error !== undefined && (
        <p className="state state-stale" role="alert">
          Cannot load every equity curve (their Sharpe shows –): {error}
        </p>
      )}
      <ComparisonChart curves={byStrategy} />
      <div className="scroll-x">
        <table>
          <thead>
            <tr>
              <th scope="col">Strategy</th>
              <th scope="col">Net PnL</th>
              <th scope="col">Fees</th>
              <th scope="col" title="Closing fills with a positive realized PnL, over closing fills">
                Win rate
              </th>
              <th scope="col" title="Largest fall from the highest equity since start">
                Max drawdown
              </th>
              <th scope="col" title={SHARPE_TITLE}>
                Sharpe (1 min)
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <ComparisonTableRow key={row.strategyId} row={row} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ComparisonTableRow({ row }: { row: ComparisonRow }) {
  return (
    <tr>
      <th scope="row">
        <span className="swatch" style={{ background: strategyColor(row.strategyId) }} aria-hidden="true" />
        {row.strategyId}
      </th>
      <td className={direction(row.netPnl)}>{formatPnl(row.netPnl)}</td>
      <td>{formatMoney(row.fees)}</td>
      <td>{row.winRate === null ? "–" : formatFraction(row.winRate)}</td>
      <td>{formatFraction(row.maxDrawdown)}</td>
      <td>{row.sharpe === null ? "–" : row.sharpe.toFixed(3)}</td>
    </tr>
  );
}

/** Warns when the portfolio's sample does not add up: its strategies' net PnL or fees, or a strategy it lacks. */
function ReconcileWarning({ running }: { running: string[] }) {
  const { data } = useQuery(portfolioQuery());
  if (!data) return null;
  const check = reconcile(data, running);
  if (check.ok) return null;
  return (
    <p className="state state-stale" role="alert">
      The strategies do not add up to the portfolio: {reconcileDetail(data, check)}
    </p>
  );
}

function reconcileDetail(portfolio: Portfolio, check: ReturnType<typeof reconcile>): string {
  const parts: string[] = [];
  if (check.netPnlGap !== 0)
    parts.push(
      `their net PnL sums to ${formatPnl(portfolio.netPnl + check.netPnlGap)}, the portfolio's is ${formatPnl(portfolio.netPnl)}`,
    );
  if (check.feesGap !== 0)
    parts.push(
      `their fees sum to ${formatMoney(portfolio.fees + check.feesGap)}, the portfolio's are ${formatMoney(portfolio.fees)}`,
    );
  if (check.missing.length > 0) parts.push(`not in the portfolio's latest sample: ${check.missing.join(", ")}`);
  return `${parts.join("; ")}.`;
}

/** The comparison window's start, looked at again every minute (it moves every 10). */
function useWindowStart(): number {
  const [from, setFrom] = useState(() => comparisonFrom(Date.now()));
  useEffect(() => {
    const timer = setInterval(() => setFrom(comparisonFrom(Date.now())), WINDOW_CHECK_MS);
    return () => clearInterval(timer);
  }, []);
  return from;
}

/** One line per strategy, in its colour: net PnL over the window. */
function ComparisonChart({ curves }: { curves: ReadonlyMap<string, EquityPoint[]> }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const lines = useRef(new Map<string, ISeriesApi<"Line">>());

  useEffect(() => {
    chart.current = createDashboardChart(container.current!);
    const series = lines.current;
    return () => {
      chart.current?.remove();
      chart.current = null;
      series.clear();
    };
  }, []);

  useEffect(() => {
    const api = chart.current;
    if (!api) return;
    for (const [id, line] of lines.current)
      if (!curves.has(id)) {
        api.removeSeries(line);
        lines.current.delete(id);
      }
    for (const [id, curve] of curves) {
      let line = lines.current.get(id);
      if (!line) {
        line = api.addSeries(LineSeries, {
          color: strategyColor(id),
          lineWidth: 2,
          title: id,
          priceFormat: { type: "custom", formatter: formatPnl, minMove: 0.01 },
        });
        lines.current.set(id, line);
      }
      line.setData(comparisonLine(curve));
    }
    api.timeScale().fitContent();
  }, [curves]);

  return (
    <div
      ref={container}
      className="chart chart-equity"
      role="img"
      aria-label={`Equity curves as net PnL: ${[...curves.keys()].join(", ")}`}
      data-testid="comparison-chart"
    />
  );
}
