import { useQuery } from "@tanstack/react-query";
import { strategiesQuery } from "../api/queries";
import type { Position, Strategy } from "../api/types";
import { direction, formatFraction, formatPnl, formatPrice, formatQuantity } from "../format";
import { emptyList, QueryView } from "./query-view";

/** Each strategy: running or halted, its PnL, positions and parameters; on a phone the first columns are what fits. */
export function StrategiesTable() {
  const strategies = useQuery(strategiesQuery());
  return (
    <section className="panel strategies" aria-labelledby="strategies-title">
      <h2 id="strategies-title">Strategies</h2>
      <QueryView query={strategies} what="strategies" empty={emptyList("No strategies are running.")}>
        {(rows) => (
          <div className="scroll-x">
            <table>
              <thead>
                <tr>
                  <th scope="col">Strategy</th>
                  <th scope="col">Status</th>
                  <th scope="col">Realized</th>
                  <th scope="col">Unrealized</th>
                  <th scope="col">Positions</th>
                  <th scope="col">Drawdown</th>
                  <th scope="col">Parameters</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((strategy) => (
                  <StrategyRow key={strategy.id} strategy={strategy} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}

function StrategyRow({ strategy }: { strategy: Strategy }) {
  const { portfolio } = strategy;
  return (
    <tr>
      <th scope="row">
        {strategy.id}
        <span className="sub">
          {strategy.kind} · {strategy.interval} · {strategy.symbols.join(", ")}
        </span>
      </th>
      <td>
        <span className={`badge badge-${strategy.status}`}>{strategy.status}</span>
      </td>
      <td className={direction(portfolio.realizedPnl)}>{formatPnl(portfolio.realizedPnl)}</td>
      <td className={direction(portfolio.unrealizedPnl)}>{formatPnl(portfolio.unrealizedPnl)}</td>
      <td>
        <Positions positions={strategy.positions} />
      </td>
      <td title={`max ${formatFraction(portfolio.maxDrawdown)}`}>{formatFraction(portfolio.drawdown)}</td>
      <td className="params">
        {Object.entries(strategy.params)
          .map(([name, value]) => `${name}=${String(value)}`)
          .join(" ")}
      </td>
    </tr>
  );
}

/** Open positions only: a flat symbol says nothing a trader needs here. */
function Positions({ positions }: { positions: Position[] }) {
  const open = positions.filter((p) => p.quantity !== 0);
  if (open.length === 0) return <span className="muted">flat</span>;
  return (
    <ul className="positions">
      {open.map((p) => (
        <li key={p.symbol}>
          {p.symbol} <span className={direction(p.quantity)}>{formatQuantity(p.quantity, true)}</span> @{" "}
          {formatPrice(p.averagePrice)}
        </li>
      ))}
    </ul>
  );
}
