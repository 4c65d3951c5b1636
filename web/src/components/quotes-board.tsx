import { useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useState } from "react";
import { dayChange, dayOpenQuery, instrumentsQuery, quotesQuery, utcDayStart } from "../api/queries";
import type { Instrument, Quote } from "../api/types";
import { direction, formatMid, formatPercent, formatPrice, formatTime } from "../format";
import { emptyList, QueryView } from "./query-view";

interface QuotesBoardProps {
  selected: string | undefined;
  onSelect: (symbol: string) => void;
}

/** Every instrument's latest bid, ask and mid with its change since the UTC day's open; a row picks the chart's symbol. */
export function QuotesBoard({ selected, onSelect }: QuotesBoardProps) {
  const quotes = useQuery(quotesQuery());
  const precision = usePricePrecision();
  const now = useNow(STALE_CHECK_MS);
  return (
    <section className="panel board" aria-labelledby="board-title">
      <h2 id="board-title">Quotes</h2>
      <QueryView
        query={quotes}
        what="quotes"
        empty={emptyList("No quotes yet: the market-data worker has not published.")}
      >
        {(rows) => (
          <div className="scroll-x">
            <table>
              <thead>
                <tr>
                  <th scope="col">Symbol</th>
                  <th scope="col">Bid</th>
                  <th scope="col">Ask</th>
                  <th scope="col" className="wide-only">
                    Mid
                  </th>
                  <th scope="col" className="wide-only" title={CHANGE_TITLE}>
                    Change
                  </th>
                  <th scope="col" title={CHANGE_TITLE}>
                    %
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((quote) => (
                  <QuoteRow
                    key={quote.symbol}
                    quote={quote}
                    precision={precision.get(quote.symbol)}
                    selected={quote.symbol === selected}
                    stale={now - quote.tsEvent > STALE_MS}
                    onSelect={onSelect}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}

/** What the change columns measure from, in their title. */
export const CHANGE_TITLE =
  "Change of the mid since the first quote of the UTC day (from 00:00 UTC): the open of the day's first bar " +
  "on the read side, so it survives restarts; the market-data worker's own open until that bar has closed";

/** A symbol whose last tick is older than this is marked stale (the simulator ticks 20 times a second). */
export const STALE_MS = 5_000;
/** How often the board looks at the clock: a feed that stops is marked even when no poll answers. */
const STALE_CHECK_MS = 1_000;

/** The time, ticking every `every` ms. */
function useNow(every: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(timer);
  }, [every]);
  return now;
}

/** Price precision by symbol, from the instrument universe (empty until it loads). */
function usePricePrecision(): ReadonlyMap<string, number> {
  const { data } = useQuery({ ...instrumentsQuery(), select: byPrecision });
  return data ?? NO_PRECISION;
}

const NO_PRECISION: ReadonlyMap<string, number> = new Map();
const byPrecision = (instruments: Instrument[]) => new Map(instruments.map((i) => [i.symbol, i.pricePrecision]));

interface Flash {
  mid: number;
  /** Which way the last mid change went; undefined before the first change. */
  way?: "up" | "down";
  /** Counts changes, so a second move the same way replays the animation. */
  count: number;
}

interface QuoteRowProps {
  quote: Quote;
  precision: number | undefined;
  selected: boolean;
  /** Its last tick is older than STALE_MS. */
  stale: boolean;
  onSelect: (symbol: string) => void;
}

function QuoteRow({ quote, precision, selected, stale, onSelect }: QuoteRowProps) {
  const [flash, setFlash] = useState<Flash>({ mid: quote.mid, count: 0 });
  // Derived from the previous render's mid, during render (React's "adjust state on prop change").
  if (quote.mid !== flash.mid)
    setFlash({ mid: quote.mid, way: quote.mid > flash.mid ? "up" : "down", count: flash.count + 1 });
  const { change: sinceOpen, changePct, open } = useDayChange(quote);
  const change = direction(sinceOpen);
  return (
    // data-ts-event: which quote the row shows (the screen bench measures tick-to-screen latency by it)
    <tr className={selected ? "selected" : undefined} data-flash={flash.way} data-ts-event={quote.tsEvent}>
      <th scope="row">
        <button type="button" className="symbol" aria-pressed={selected} onClick={() => onSelect(quote.symbol)}>
          {quote.symbol}
        </button>
        {stale && (
          <span className="badge badge-stale" title={`Last tick at ${formatTime(quote.tsEvent)}`}>
            stale
          </span>
        )}
      </th>
      {/* keyed by the change count: new cells restart the flash animation */}
      <Fragment key={flash.count}>
        <td className={flash.way && `flash-${flash.way}`}>{formatPrice(quote.bid, precision)}</td>
        <td className={flash.way && `flash-${flash.way}`}>{formatPrice(quote.ask, precision)}</td>
        <td className={flash.way ? `wide-only flash-${flash.way}` : "wide-only"}>{formatMid(quote.mid, precision)}</td>
      </Fragment>
      <td className={`wide-only ${change}`} title={`Open of the UTC day: ${formatMid(open, precision)}`}>
        {formatMid(sinceOpen, precision, true)}
      </td>
      <td className={change}>
        <span aria-hidden="true">{change === "up" ? "▲" : change === "down" ? "▼" : ""}</span>
        {formatPercent(changePct)}
      </td>
    </tr>
  );
}

/**
 * The quote's change since the first quote of its UTC day: from the read side's first bar of the
 * day (cached for the day), or, until that bar has closed or while the read side does not
 * answer, from the market-data worker's open (the first quote it has seen today: after a restart
 * of the worker, the first since the restart).
 */
function useDayChange(quote: Quote): { change: number; changePct: number; open: number } {
  const { data: open } = useQuery(dayOpenQuery(quote.symbol, utcDayStart(quote.tsEvent)));
  if (typeof open !== "number") return { change: quote.change, changePct: quote.changePct, open: quote.open };
  return { ...dayChange(quote.mid, open), open };
}
