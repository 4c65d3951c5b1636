import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { quotesQuery } from "./api/queries";
import { useCanTrade } from "./api/session";
import { CommandFeedProvider, CommandsPanel } from "./components/commands";
import { AlertsFeed, OrdersFeed, SignalsFeed } from "./components/feeds";
import { HealthBar } from "./components/health-bar";
import { LoginBox } from "./components/login";
import { OpenOrders } from "./components/open-orders";
import { PortfolioPanel } from "./components/portfolio-panel";
import { PriceChartPanel } from "./components/price-chart-panel";
import { QuotesBoard } from "./components/quotes-board";
import { StrategiesTable } from "./components/strategies-table";
import { StrategyComparison } from "./components/strategy-comparison";
import { TradesTable } from "./components/trades-table";
import { currentView, saveView } from "./url-state";

// the ticket checks orders with core's zod schemas: a chunk of its own, loaded for traders only
const OrderTicket = lazy(() => import("./components/order-ticket").then((m) => ({ default: m.OrderTicket })));

/**
 * The dashboard: quotes and the selected symbol's chart, then strategies, portfolio, open orders,
 * trades and feeds. A trader also gets the order ticket, each strategy's and order's controls,
 * and the commands feed.
 */
export function App() {
  // a deep link's symbol, until the user picks one
  const [chosen, setChosen] = useState<string | undefined>(() => currentView().symbol);
  const symbols = useQuery({ ...quotesQuery(), select: (quotes) => quotes.map((q) => q.symbol) }).data;
  // the board's first symbol until one is chosen, and instead of a linked symbol the board does not have
  const symbol = chosen !== undefined && symbols?.includes(chosen) ? chosen : symbols?.[0];
  const choose = (next: string) => {
    setChosen(next);
    saveView({ symbol: next });
  };
  const canTrade = useCanTrade();
  return (
    <CommandFeedProvider>
      <header className="top">
        <h1>
          Tickflow <span className="muted">paper trading</span>
        </h1>
        <HealthBar />
        <LoginBox />
      </header>
      <main className={`grid${canTrade ? " trading" : ""}`}>
        <QuotesBoard selected={symbol} onSelect={choose} />
        {symbol === undefined ? (
          <section className="panel chart-panel" aria-label="Chart">
            <p className="state">The chart shows a symbol once quotes arrive.</p>
          </section>
        ) : (
          <PriceChartPanel symbol={symbol} />
        )}
        <PortfolioPanel />
        <StrategiesTable />
        <StrategyComparison />
        {canTrade && (
          <div className="trading-panels">
            <Suspense
              fallback={
                <section className="panel ticket" aria-label="Order ticket">
                  <p className="state">Loading the order ticket…</p>
                </section>
              }
            >
              <OrderTicket />
            </Suspense>
            <CommandsPanel />
          </div>
        )}
        <OpenOrders />
        <TradesTable />
        <div className="feeds">
          <SignalsFeed />
          <OrdersFeed />
          <AlertsFeed />
        </div>
      </main>
    </CommandFeedProvider>
  );
}
