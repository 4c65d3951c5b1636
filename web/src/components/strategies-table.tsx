import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { strategiesQuery } from "../api/queries";
import { useCanTrade } from "../api/session";
import type { Position, Strategy } from "../api/types";
import { direction, formatFraction, formatMoney, formatPnl, formatPrice, formatQuantity } from "../format";
import { emptyList, QueryView } from "./query-view";
import { AddStrategyForm, ParamsEditor, StrategyActions } from "./strategy-controls";

/**
 * Each strategy: running, paused or halted, its PnL, positions and parameters; on a phone the
 * first columns are what fits. A trader also gets each strategy's controls and "Add strategy".
 */
export function StrategiesTable() {
  const strategies = useQuery(strategiesQuery());
  const canTrade = useCanTrade();
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const columns = canTrade ? 10 : 9;
  return (
    <section className="panel strategies" aria-labelledby="strategies-title">
      <header className="panel-header">
        <h2 id="strategies-title">Strategies</h2>
        {canTrade && (
          <button
            type="button"
            className="action add"
            aria-expanded={adding}
            onClick={() => setAdding((open) => !open)}
          >
            Add strategy
          </button>
        )}
      </header>
      {canTrade && adding && (
        <AddStrategyForm existing={strategies.data?.map((s) => s.id) ?? []} onClose={() => setAdding(false)} />
      )}
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
                  <th scope="col">Fees</th>
                  <th scope="col">Net PnL</th>
                  <th scope="col">Positions</th>
                  <th scope="col">Drawdown</th>
                  <th scope="col">Parameters</th>
                  {canTrade && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {rows.map((strategy) => (
                  <Fragment key={strategy.id}>
                    <StrategyRow
                      strategy={strategy}
                      canTrade={canTrade}
                      editing={editing === strategy.id}
                      onEdit={() => setEditing((id) => (id === strategy.id ? null : strategy.id))}
                    />
                    {canTrade && editing === strategy.id && (
                      <tr className="detail-row">
                        <td colSpan={columns}>
                          <ParamsEditor strategy={strategy} onClose={() => setEditing(null)} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}

interface StrategyRowProps {
  strategy: Strategy;
  canTrade: boolean;
  editing: boolean;
  onEdit: () => void;
}

function StrategyRow({ strategy, canTrade, editing, onEdit }: StrategyRowProps) {
  const { portfolio } = strategy;
  return (
    <tr data-testid={`strategy-${strategy.id}`}>
      <th scope="row">
        {strategy.id}
        <span className="sub">
          {strategy.kind} · {strategy.interval} · {strategy.symbols.join(", ")}
        </span>
      </th>
      <td data-testid={`status-${strategy.id}`}>
        <span className={`badge badge-${strategy.status}`}>{strategy.status}</span>
        {/* halted outranks paused: a halted strategy that is also paused says both */}
        {strategy.paused && strategy.status !== "paused" && <span className="badge badge-paused">paused</span>}
      </td>
      <td className={direction(portfolio.realizedPnl)}>{formatPnl(portfolio.realizedPnl)}</td>
      <td className={direction(portfolio.unrealizedPnl)}>{formatPnl(portfolio.unrealizedPnl)}</td>
      <td data-testid={`fees-${strategy.id}`}>{formatMoney(portfolio.fees)}</td>
      {/* realized + unrealized - fees: the strategies' net PnL add up to the portfolio's */}
      <td className={direction(portfolio.netPnl)} data-testid={`net-${strategy.id}`}>
        {formatPnl(portfolio.netPnl)}
      </td>
      <td>
        <Positions positions={strategy.positions} />
      </td>
      <td title={`max ${formatFraction(portfolio.maxDrawdown)}`}>{formatFraction(portfolio.drawdown)}</td>
      <td className="params" data-testid={`params-${strategy.id}`}>
        {Object.entries(strategy.params)
          .map(([name, value]) => `${name}=${String(value)}`)
          .join(" ")}
      </td>
      {canTrade && (
        <td className="text">
          <StrategyActions strategy={strategy} editing={editing} onEdit={onEdit} />
        </td>
      )}
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
