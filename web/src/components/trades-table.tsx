import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type RefObject } from "react";
import { downloadCsv } from "../api/download";
import { instrumentsQuery, strategiesQuery, tradesCsvPath, tradesQuery, type TradeFilters } from "../api/queries";
import type { Trade } from "../api/types";
import {
  direction,
  formatDateTime,
  formatDuration,
  formatMoney,
  formatPnl,
  formatPrice,
  formatQuantity,
} from "../format";
import { emptyList, QueryView } from "./query-view";

/** How far below the visible rows the next page starts loading, so scrolling rarely waits for it. */
const PRELOAD_MARGIN = "0px 0px 160px 0px";

/** The file a CSV download is saved as: `tickflow-trades-<strategy|all>-<symbol|all>.csv`. */
export function tradesCsvName(filters: TradeFilters): string {
  return `tickflow-trades-${filters.strategy ?? "all"}-${filters.symbol ?? "all"}.csv`;
}

/** Closed round trips, newest first, filtered by strategy and symbol; the next page loads as the table scrolls to its end. */
export function TradesTable() {
  const [filters, setFilters] = useState<TradeFilters>({});
  const trades = useInfiniteQuery({ ...tradesQuery(filters), select: (data) => data.pages.flatMap((p) => p.items) });
  const scroller = useRef<HTMLDivElement>(null);
  return (
    <section className="panel trades" aria-labelledby="trades-title">
      <header className="panel-header">
        <h2 id="trades-title">Trades</h2>
        <Filters filters={filters} onChange={setFilters} />
        <CsvDownload filters={filters} />
      </header>
      <QueryView
        query={trades}
        what="trades"
        empty={emptyList("No closed trades yet: a trade closes when a position is back to flat.")}
      >
        {(rows) => (
          <div className="trades-scroll" ref={scroller}>
            <TradeRows trades={rows} />
            <NextPage
              root={scroller}
              hasNextPage={trades.hasNextPage}
              busy={trades.isFetching}
              loading={trades.isFetchingNextPage}
              failed={trades.isFetchNextPageError}
              fetchNextPage={trades.fetchNextPage}
            />
          </div>
        )}
      </QueryView>
    </section>
  );
}

/** The strategy and symbol selects: the running strategies and the instrument universe, or all of them. */
function Filters({ filters, onChange }: { filters: TradeFilters; onChange: (filters: TradeFilters) => void }) {
  const strategies = useQuery({ ...strategiesQuery(), select: (all) => all.map((s) => s.id) }).data ?? [];
  const symbols = useQuery({ ...instrumentsQuery(), select: (all) => all.map((i) => i.symbol) }).data ?? [];
  // a chosen strategy stays an option while the strategies reload, or after it stopped
  const strategyOptions = withChosen(strategies, filters.strategy);
  const symbolOptions = withChosen(symbols, filters.symbol);
  return (
    <div className="filters">
      <Select
        label="Strategy"
        value={filters.strategy}
        options={strategyOptions}
        onChange={(strategy) => onChange({ ...filters, strategy })}
      />
      <Select
        label="Symbol"
        value={filters.symbol}
        options={symbolOptions}
        onChange={(symbol) => onChange({ ...filters, symbol })}
      />
    </div>
  );
}

interface SelectProps {
  label: string;
  /** The chosen option, or undefined for all. */
  value: string | undefined;
  options: readonly string[];
  onChange: (value: string | undefined) => void;
}

/** A labelled select whose first option, "All", stands for no filter. */
function Select({ label, value, options, onChange }: SelectProps) {
  const id = useId();
  return (
    <span className="filter">
      <label htmlFor={id}>{label}</label>{" "}
      <select id={id} value={value ?? ""} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">All</option>
        {options.map((option) => (
          <option key={option}>{option}</option>
        ))}
      </select>
    </span>
  );
}

function withChosen(options: readonly string[], chosen: string | undefined): readonly string[] {
  return chosen === undefined || options.includes(chosen) ? options : [...options, chosen];
}

/** Downloads the filtered trades as CSV; says why when it cannot. */
function CsvDownload({ filters }: { filters: TradeFilters }) {
  const download = useMutation({
    mutationFn: (chosen: TradeFilters) => downloadCsv(tradesCsvPath(chosen), tradesCsvName(chosen)),
  });
  return (
    <div className="download">
      <button
        type="button"
        className="action"
        title="The latest 1,000 trades of the chosen strategy and symbol"
        disabled={download.isPending}
        onClick={() => download.mutate(filters)}
      >
        {download.isPending ? "Preparing CSV…" : "Download CSV"}
      </button>
      {download.isError && (
        <p className="state state-error" role="alert">
          Cannot download the trades: {download.error.message}
        </p>
      )}
    </div>
  );
}

function TradeRows({ trades }: { trades: readonly Trade[] }) {
  const precision = useQuery({
    ...instrumentsQuery(),
    select: (all) => new Map(all.map((i) => [i.symbol, i.pricePrecision])),
  }).data;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Closed</th>
          <th scope="col" className="text">
            Strategy
          </th>
          <th scope="col" className="text">
            Symbol
          </th>
          <th scope="col" className="text">
            Side
          </th>
          <th scope="col">Qty</th>
          <th scope="col">Entry</th>
          <th scope="col">Exit</th>
          <th scope="col">Net PnL</th>
          <th scope="col">Fees</th>
          <th scope="col">Held</th>
          <th scope="col" title="Maximum adverse / favourable excursion: the worst and best open PnL during the trade">
            MAE / MFE
          </th>
        </tr>
      </thead>
      <tbody>
        {trades.map((trade) => (
          <TradeRow key={trade.tradeId} trade={trade} precision={precision?.get(trade.symbol)} />
        ))}
      </tbody>
    </table>
  );
}

function TradeRow({ trade, precision }: { trade: Trade; precision: number | undefined }) {
  return (
    <tr>
      <th scope="row">
        <time dateTime={new Date(trade.exitTs).toISOString()}>{formatDateTime(trade.exitTs)}</time>
      </th>
      <td className="text">{trade.strategyId}</td>
      <td className="text">{trade.symbol}</td>
      <td className="text">
        <span className={`badge ${trade.side === "long" ? "up" : "down"}`}>{trade.side}</span>
      </td>
      <td>{formatQuantity(trade.quantity)}</td>
      <td>{formatPrice(trade.entryPrice, precision)}</td>
      <td>{formatPrice(trade.exitPrice, precision)}</td>
      <td className={direction(trade.netPnl)}>{formatPnl(trade.netPnl)}</td>
      <td>{formatMoney(trade.fees)}</td>
      <td>{formatDuration(trade.holdingMs)}</td>
      <td>
        <span className={direction(trade.maxAdverseExcursion)}>{formatPnl(trade.maxAdverseExcursion)}</span> /{" "}
        <span className={direction(trade.maxFavorableExcursion)}>{formatPnl(trade.maxFavorableExcursion)}</span>
      </td>
    </tr>
  );
}

interface NextPageProps {
  /** The scrolling box the rows are in: the sentinel counts as seen when it scrolls into it. */
  root: RefObject<HTMLDivElement | null>;
  hasNextPage: boolean;
  /** Any fetch of the trades in flight: a next page waits for it rather than race it. */
  busy: boolean;
  /** The next page in flight. */
  loading: boolean;
  /** The last next page failed: loading it again waits for the user, not for the next scroll event. */
  failed: boolean;
  fetchNextPage: () => unknown;
}

/**
 * The end of the table: a sentinel that loads the next page when it scrolls into view, or a
 * "Load more" button where the browser has no IntersectionObserver (or the last attempt failed).
 */
function NextPage({ root, hasNextPage, busy, loading, failed, fetchNextPage }: NextPageProps) {
  const sentinel = useRef<HTMLDivElement>(null);
  const observable = typeof IntersectionObserver !== "undefined";
  const watching = observable && hasNextPage && !busy && !failed;

  useEffect(() => {
    const target = sentinel.current;
    if (!watching || !target) return;
    // a new observer after each page: its first report says whether the sentinel is still in view
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) void fetchNextPage();
      },
      { root: root.current, rootMargin: PRELOAD_MARGIN },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [watching, root, fetchNextPage]);

  if (!hasNextPage) return <p className="state end">No older trades.</p>;
  if (!observable || failed)
    return (
      <p className="state end">
        <button type="button" className="action" disabled={loading} onClick={() => void fetchNextPage()}>
          {loading ? "Loading…" : "Load more trades"}
        </button>
      </p>
    );
  return (
    <div ref={sentinel} className="sentinel state end" data-testid="trades-sentinel" role="status">
      {loading ? "Loading more trades…" : ""}
    </div>
  );
}
