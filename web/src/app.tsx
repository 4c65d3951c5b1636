import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { quotesQuery } from "./api/queries";
import { AlertsFeed, OrdersFeed, SignalsFeed } from "./components/feeds";
import { HealthBar } from "./components/health-bar";
import { PortfolioPanel } from "./components/portfolio-panel";
import { PriceChartPanel } from "./components/price-chart-panel";
import { QuotesBoard } from "./components/quotes-board";
import { StrategiesTable } from "./components/strategies-table";
import { TradesTable } from "./components/trades-table";

/** The dashboard: quotes and the selected symbol's chart, then strategies, portfolio, trades and feeds. */
export function App() {
  const [chosen, setChosen] = useState<string>();
  // until the user picks one, the chart shows the board's first symbol
  const first = useQuery({ ...quotesQuery(), select: (quotes) => quotes[0]?.symbol }).data;
  const symbol = chosen ?? first;
  return (
    <>
      <header className="top">
        <h1>
          Tickflow <span className="muted">paper trading</span>
        </h1>
        <HealthBar />
      </header>
      <main className="grid">
        <QuotesBoard selected={symbol} onSelect={setChosen} />
        {symbol === undefined ? (
          <section className="panel chart-panel" aria-label="Chart">
            <p className="state">The chart shows a symbol once quotes arrive.</p>
          </section>
        ) : (
          <PriceChartPanel symbol={symbol} />
        )}
        <PortfolioPanel />
        <StrategiesTable />
        <TradesTable />
        <div className="feeds">
          <SignalsFeed />
          <OrdersFeed />
          <AlertsFeed />
        </div>
      </main>
    </>
  );
}
