import { useQuery } from "@tanstack/react-query";
import { portfolioQuery } from "../api/queries";
import type { Portfolio } from "../api/types";
import { EquityChart } from "../charts/equity-chart";
import { direction, formatFraction, formatMoney, formatPnl } from "../format";
import { QueryView } from "./query-view";

/** All strategies together: PnL totals, drawdown and the equity curve. */
export function PortfolioPanel() {
  const portfolio = useQuery(portfolioQuery());
  return (
    <section className="panel portfolio" aria-labelledby="portfolio-title">
      <h2 id="portfolio-title">Portfolio</h2>
      <QueryView query={portfolio} what="the portfolio">
        {(data) => (
          <>
            <Totals portfolio={data} />
            {data.equityCurve.length > 0 ? (
              <EquityChart curve={data.equityCurve} />
            ) : (
              <p className="state">No equity curve yet: it starts with the first fill.</p>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

function Totals({ portfolio }: { portfolio: Portfolio }) {
  const figures: [string, string, string?][] = [
    ["Equity", formatMoney(portfolio.equity)],
    ["Net PnL", formatPnl(portfolio.netPnl), direction(portfolio.netPnl)],
    ["Realized", formatPnl(portfolio.realizedPnl), direction(portfolio.realizedPnl)],
    ["Unrealized", formatPnl(portfolio.unrealizedPnl), direction(portfolio.unrealizedPnl)],
    ["Fees", formatMoney(portfolio.fees)],
    ["Drawdown", formatFraction(portfolio.drawdown), portfolio.drawdown > 0 ? "down" : undefined],
    ["Max drawdown", formatFraction(portfolio.maxDrawdown)],
  ];
  return (
    <dl className="figures">
      {figures.map(([label, value, tone]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd className={tone}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
