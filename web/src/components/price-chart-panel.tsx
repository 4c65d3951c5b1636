import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { nextFormingBar, type FormingBar } from "../api/stream-merge";
import {
  barsQuery,
  fillsRangeQuery,
  instrumentsQuery,
  markerRangeStart,
  quotesQuery,
  signalsRangeQuery,
  strategiesQuery,
} from "../api/queries";
import type { Bar, BarInterval } from "../api/types";
import { CandlestickChart } from "../charts/candlestick-chart";
import { chartMarkers, eventsByBar, INTERVAL_MS, strategyColor } from "../charts/chart-data";
import { direction, formatMid, formatPercent } from "../format";
import { currentView, saveView } from "../url-state";
import { IntervalSwitch } from "./interval-switch";
import { QueryView } from "./query-view";

interface PriceChartPanelProps {
  symbol: string;
}

/**
 * The selected symbol's candles with its strategies' signals and fills, at a chosen bar interval,
 * filtered by strategy. The interval and the filter are in the URL (a deep link restores them).
 */
export function PriceChartPanel({ symbol }: PriceChartPanelProps) {
  // The strategies trade 1s bars by default, so 1s shows their signals where they happen.
  const [interval, setBarInterval] = useState<BarInterval>(() => currentView().interval ?? "1s");
  const [shown, setShown] = useState<readonly string[] | undefined>(() => currentView().strategies);
  const instrument = useQuery({ ...instrumentsQuery(), select: (all) => all.find((i) => i.symbol === symbol) }).data;
  const trading = useQuery({
    ...strategiesQuery(),
    select: (all) => all.filter((s) => s.symbols.includes(symbol)).map((s) => s.id),
  }).data;
  // the filter's choices: the symbol's strategies, and any the link names that are not running
  const choices = useMemo(() => [...new Set([...(trading ?? []), ...(shown ?? [])])].sort(), [trading, shown]);
  const chooseInterval = (next: BarInterval) => {
    setBarInterval(next);
    saveView({ interval: next });
  };
  const toggle = (id: string, on: boolean) => {
    const current = shown ?? choices;
    const next = on ? [...new Set([...current, id])] : current.filter((s) => s !== id);
    // every choice ticked is no filter: strategies that start later show too
    const filter = choices.every((c) => next.includes(c)) ? undefined : next;
    setShown(filter);
    saveView({ strategies: filter });
  };
  return (
    <section className="panel chart-panel" aria-labelledby="chart-title">
      <header className="panel-header">
        <h2 id="chart-title">
          {symbol} <span className="muted">· {interval}</span>
        </h2>
        <LastQuote symbol={symbol} precision={instrument?.pricePrecision} />
        <IntervalSwitch value={interval} onChange={chooseInterval} />
      </header>
      {/* a new chart per symbol and interval: it fits its first bars, then keeps the user's zoom */}
      <ChartArea
        key={`${symbol}:${interval}`}
        symbol={symbol}
        interval={interval}
        shown={shown}
        precision={instrument?.pricePrecision}
        increment={instrument?.priceIncrement}
      />
      <div className="legend">
        <span className="muted">▲ long ▼ short ● flat ■ fills (B buy, S sell; a count when a bar has several)</span>
        {choices.length > 0 && (
          <fieldset className="strategy-filter">
            <legend>Strategies</legend>
            {choices.map((id) => (
              <label key={id}>
                <input
                  type="checkbox"
                  checked={shown === undefined || shown.includes(id)}
                  onChange={(e) => toggle(id, e.target.checked)}
                />
                <span className="swatch" style={{ background: strategyColor(id) }} aria-hidden="true" />
                {id}
              </label>
            ))}
          </fieldset>
        )}
      </div>
    </section>
  );
}

interface ChartAreaProps {
  symbol: string;
  interval: BarInterval;
  shown: readonly string[] | undefined;
  precision: number | undefined;
  increment: number | undefined;
}

/**
 * One symbol and interval: its closed bars and the bar forming now. The chart shows as soon as
 * either exists, so a long interval's first bar (and its markers) shows while it forms.
 */
function ChartArea({ symbol, interval, ...rest }: ChartAreaProps) {
  const bars = useQuery(barsQuery(symbol, interval));
  const forming = useFormingBar(symbol, interval, bars.data);
  return (
    <QueryView
      query={bars}
      what="bars"
      empty={{
        when: (data) => data.length === 0 && forming === null,
        message: `No ${interval} bars for ${symbol} yet: the first closes ${interval} after its first quote.`,
      }}
    >
      {(data) => <MarkedChart symbol={symbol} interval={interval} bars={data} forming={forming} {...rest} />}
    </QueryView>
  );
}

interface MarkedChartProps extends Omit<ChartAreaProps, "key"> {
  bars: Bar[];
  forming: FormingBar | null;
}

/**
 * The chart with markers from every signal and fill of the bars' range, the forming bar's
 * included (all its pages, not the latest few): a feed that fails leaves its markers out, not
 * the candles.
 */
function MarkedChart({ symbol, interval, bars, forming, shown, precision, increment }: MarkedChartProps) {
  const from = markerRangeStart(bars[0]?.start ?? forming!.start, INTERVAL_MS[interval]);
  // a new range keeps the last one's markers until it loads, so they do not blink
  const signals = useQuery({ ...signalsRangeQuery(symbol, from), placeholderData: keepPreviousData }).data;
  const fills = useQuery({ ...fillsRangeQuery(symbol, from), placeholderData: keepPreviousData }).data;
  const filter = useMemo(() => (shown === undefined ? undefined : new Set(shown)), [shown]);
  // the forming bar's start as one more bar: its markers show while it forms
  const formingStart = forming?.start;
  const starts = useMemo(
    () => (formingStart === undefined ? bars : [...bars, { start: formingStart }]),
    [bars, formingStart],
  );
  const events = useMemo(
    () => eventsByBar(starts, interval, signals ?? [], fills ?? [], filter),
    [starts, interval, signals, fills, filter],
  );
  const markers = useMemo(() => chartMarkers(events), [events]);
  return (
    <CandlestickChart
      forming={forming}
      bars={bars}
      interval={interval}
      markers={markers}
      events={events}
      precision={precision}
      increment={increment}
      label={`${symbol} ${interval} candlestick chart, ${bars.length} bars, ${markers.length} markers`}
    />
  );
}

/**
 * The bar forming now, from the symbol's quotes (pushed by the stream, or polled) since its last
 * closed bar: opened by the first mid seen in it, so a page that opens mid-bar starts it late.
 */
function useFormingBar(symbol: string, interval: BarInterval, bars: readonly Bar[] | undefined): FormingBar | null {
  const quote = useQuery({ ...quotesQuery(), select: (quotes) => quotes.find((q) => q.symbol === symbol) }).data;
  const lastStart = bars?.at(-1)?.start;
  const [forming, setForming] = useState<FormingBar | null>(() =>
    quote ? nextFormingBar(null, lastStart, INTERVAL_MS[interval], quote.mid, quote.tsEvent) : null,
  );
  const [seen, setSeen] = useState<{ quote: typeof quote; lastStart: number | undefined }>({ quote, lastStart });
  // each new quote or closed bar moves the forming bar on (state adjusted while rendering, as React advises)
  if (seen.quote !== quote || seen.lastStart !== lastStart) {
    setSeen({ quote, lastStart });
    setForming((previous) =>
      quote ? nextFormingBar(previous, lastStart, INTERVAL_MS[interval], quote.mid, quote.tsEvent) : previous,
    );
  }
  return forming !== null && (lastStart === undefined || forming.start > lastStart) ? forming : null;
}

/** The symbol's mid and change since the open, beside its chart title. */
function LastQuote({ symbol, precision }: { symbol: string; precision: number | undefined }) {
  const quote = useQuery({ ...quotesQuery(), select: (quotes) => quotes.find((q) => q.symbol === symbol) }).data;
  if (!quote) return null;
  return (
    <p className="last-quote">
      <span className="price">{formatMid(quote.mid, precision)}</span>{" "}
      <span className={direction(quote.change)}>{formatPercent(quote.changePct)}</span>
    </p>
  );
}
