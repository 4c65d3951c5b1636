import { useQuery } from "@tanstack/react-query";
import { portfolioQuery } from "../api/queries";
import type { Portfolio } from "../api/types";
import { EquityChart } from "../charts/equity-chart";
import { direction, formatDuration, formatFraction, formatMoney, formatPnl } from "../format";
import { QueryView } from "./query-view";

/** Before the read side's first sample the portfolio has nothing to say yet: a wait, not an error. */
const WAITING = {
  when: (data: Portfolio | null) => data === null,
  message: "Waiting for the first sample: the portfolio starts with the first closed bar.",
};

/** All strategies together: PnL totals, drawdown now and since start, and the equity curve. */
export function PortfolioPanel() {
  const portfolio = useQuery(portfolioQuery());
  return (
    <section className="panel portfolio" aria-labelledby="portfolio-title">
      <h2 id="portfolio-title">Portfolio</h2>
      <QueryView query={portfolio} what="the portfolio" empty={WAITING}>
        {(data) =>
          data && (
            <>
              <Totals portfolio={data} />
              {data.equityCurve.length > 0 ? (
                <EquityChart curve={data.equityCurve} />
              ) : (
                <p className="state">No equity curve yet: it starts with the first sample.</p>
              )}
            </>
          )
        }
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
    ["Drawdown now", formatFraction(portfolio.drawdown), portfolio.drawdown > 0 ? "down" : undefined],
    ["Max drawdown since start", formatFraction(portfolio.maxDrawdown)],
    ["Longest drawdown", formatDuration(portfolio.maxDrawdownDurationMs)],
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
