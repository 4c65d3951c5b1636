import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { barsQuery, fillsQuery, instrumentsQuery, quotesQuery, signalsQuery } from "../api/queries";
import type { Bar, BarInterval } from "../api/types";
import { CandlestickChart } from "../charts/candlestick-chart";
import { chartMarkers } from "../charts/chart-data";
import { direction, formatMid, formatPercent } from "../format";
import { IntervalSwitch } from "./interval-switch";
import { emptyList, QueryView } from "./query-view";

interface PriceChartPanelProps {
  symbol: string;
}

/** The selected symbol's candles with its strategies' signals and fills, at a chosen bar interval. */
export function PriceChartPanel({ symbol }: PriceChartPanelProps) {
  // The strategies trade 1s bars by default, so 1s shows their signals where they happen.
  const [interval, setBarInterval] = useState<BarInterval>("1s");
  const bars = useQuery(barsQuery(symbol, interval));
  const instrument = useQuery({ ...instrumentsQuery(), select: (all) => all.find((i) => i.symbol === symbol) }).data;
  return (
    <section className="panel chart-panel" aria-labelledby="chart-title">
      <header className="panel-header">
        <h2 id="chart-title">
          {symbol} <span className="muted">· {interval}</span>
        </h2>
        <LastQuote symbol={symbol} precision={instrument?.pricePrecision} />
        <IntervalSwitch value={interval} onChange={setBarInterval} />
      </header>
      {/* a new chart per symbol and interval: it fits its first bars, then keeps the user's zoom */}
      <QueryView
        query={bars}
        what="bars"
        empty={emptyList(`No ${interval} bars for ${symbol} yet: the first closes ${interval} after its first quote.`)}
      >
        {(data) => (
          <MarkedChart
            key={`${symbol}:${interval}`}
            symbol={symbol}
            interval={interval}
            bars={data}
            precision={instrument?.pricePrecision}
            increment={instrument?.priceIncrement}
          />
        )}
      </QueryView>
      <p className="legend">
        <span className="up">▲ long</span> <span className="down">▼ short</span> <span className="muted">● flat</span>{" "}
        <span className="muted">■ fill (B buy, S sell)</span>
      </p>
    </section>
  );
}

interface MarkedChartProps {
  symbol: string;
  interval: BarInterval;
  bars: Bar[];
  precision: number | undefined;
  increment: number | undefined;
}

/** The chart with markers: a feed that fails leaves its markers out, not the candles. */
function MarkedChart({ symbol, interval, bars, precision, increment }: MarkedChartProps) {
  const signals = useQuery(signalsQuery(symbol)).data;
  const fills = useQuery(fillsQuery(symbol)).data;
  const markers = useMemo(() => chartMarkers(bars, signals ?? [], fills ?? []), [bars, signals, fills]);
  return (
    <CandlestickChart
      bars={bars}
      markers={markers}
      precision={precision}
      increment={increment}
      label={`${symbol} ${interval} candlestick chart, ${bars.length} bars, ${markers.length} markers`}
    />
  );
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
