import type { BacktestReport, ClosedTrade, RatioFigure, StrategyReport } from "@tickflow/core";
import { duration, money, percent, ratio } from "./format";

/*
 * `tickflow backtest --report FILE.html`: one self-contained page (inline CSS and SVG, no script,
 * no font, no request of any kind), so it opens the same from a mail attachment on a closed
 * network. Every string from the report is escaped; the same report gives the same bytes.
 */

/** Points drawn per line at most: more than a screen shows. */
const MAX_CHART_POINTS = 800;
const WIDTH = 900;
const HEIGHT = 220;
const PAD = { left: 72, right: 12, top: 12, bottom: 28 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

type Point = readonly [number, number];

/**
 * At most 2·buckets points of a series: per equal-count bucket, its lowest and highest point in
 * time order, so spikes and troughs (a drawdown's bottom) survive the thinning.
 */
export function thin(points: readonly Point[], buckets = MAX_CHART_POINTS / 2): Point[] {
  if (points.length <= 2 * buckets) return [...points];
  const out: Point[] = [];
  const size = points.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i]![1] < points[lo]![1]) lo = i;
      if (points[i]![1] > points[hi]![1]) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) if (out.at(-1) !== points[i]) out.push(points[i]!);
  }
  return out;
}

interface Marker {
  ts: number;
  value: number;
  kind: "entry" | "exit";
  title: string;
}

interface Chart {
  title: string;
  cls: string;
  lines: { cls: string; points: readonly Point[] }[];
  markers?: Marker[];
  /** Formats a y value for the axis. */
  y: (value: number) => string;
  /** Fill the area between the line and zero (drawdown). */
  area?: boolean;
}

function iso(ts: number): string {
  return new Date(ts).toISOString().replace(".000Z", "Z");
}

function chart(c: Chart): string {
  const all = c.lines.flatMap((l) => l.points);
  const markers = c.markers ?? [];
  if (all.length < 2)
    return `<figure class="chart ${e(c.cls)}"><figcaption>${e(c.title)}</figcaption><p class="empty">not enough points to draw</p></figure>`;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [x, y] of all) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  for (const m of markers) {
    y0 = Math.min(y0, m.value);
    y1 = Math.max(y1, m.value);
  }
  if (c.area) y1 = Math.max(y1, 0);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 1;
    y1 += 1;
  }
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const sx = (x: number) => (PAD.left + ((x - x0) / (x1 - x0)) * w).toFixed(1);
  const sy = (y: number) => (PAD.top + (1 - (y - y0) / (y1 - y0)) * h).toFixed(1);
  const paths = c.lines.map((line) => {
    const pts = thin(line.points);
    const d = pts.map(([x, y], i) => `${i === 0 ? "M" : "L"}${sx(x)},${sy(y)}`).join("");
    const area = c.area && pts.length > 0 ? `${d}L${sx(pts.at(-1)![0])},${sy(0)}L${sx(pts[0]![0])},${sy(0)}Z` : "";
    return `${area ? `<path class="area ${e(line.cls)}" d="${area}"/>` : ""}<path class="line ${e(line.cls)}" d="${d}"/>`;
  });
  const marks = markers.map((m) => {
    const x = Number(sx(m.ts));
    const y = Number(sy(m.value));
    const shape =
      m.kind === "entry"
        ? `M${x.toFixed(1)},${(y - 6).toFixed(1)}l5,9h-10z`
        : `M${x.toFixed(1)},${(y + 6).toFixed(1)}l5,-9h-10z`;
    return `<path class="marker ${m.kind}" d="${shape}"><title>${e(m.title)}</title></path>`;
  });
  const axis = [
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top + h}" x2="${PAD.left + w}" y2="${PAD.top + h}"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + h}"/>`,
    `<text class="tick" x="${PAD.left - 6}" y="${PAD.top + 10}" text-anchor="end">${e(c.y(y1))}</text>`,
    `<text class="tick" x="${PAD.left - 6}" y="${PAD.top + h}" text-anchor="end">${e(c.y(y0))}</text>`,
    `<text class="tick" x="${PAD.left}" y="${HEIGHT - 8}">${e(iso(x0))}</text>`,
    `<text class="tick" x="${PAD.left + w}" y="${HEIGHT - 8}" text-anchor="end">${e(iso(x1))}</text>`,
  ];
  return [
    `<figure class="chart ${e(c.cls)}"><figcaption>${e(c.title)}</figcaption>`,
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${e(c.title)}">`,
    ...axis,
    ...paths,
    ...marks,
    "</svg></figure>",
  ].join("");
}

/** Drawdown at each equity sample, from the highest equity since start (the starting cash first), as a negative fraction. */
function drawdownSeries(s: StrategyReport): Point[] {
  let peak = s.startingCash;
  return s.equityCurve.map(({ ts, equity }) => {
    peak = Math.max(peak, equity);
    return [ts, peak > 0 ? equity / peak - 1 : 0] as const;
  });
}

function ratioText(r: RatioFigure, period: string): string {
  return r.value === null || r.perPeriod === null
    ? (r.note ?? "n/a")
    : `${r.value.toFixed(2)} (${r.perPeriod.toFixed(4)} per ${period})`;
}

const orNa = (x: number | null, f: (x: number) => string) => (x === null ? "n/a" : f(x));

function figures(s: StrategyReport): string {
  const p = s.performance;
  const rows: [string, string][] = [
    ["Net PnL", money(s.netPnl)],
    ["Fees", money(s.fees)],
    ["Equity", `${money(s.startingCash)} → ${money(s.finalEquity)}`],
    [
      "Max drawdown",
      `${percent(p.drawdown.maxDrawdown)} (${money(p.drawdown.maxDrawdownAmount)}) over ${duration(p.drawdown.durationMs)}${p.drawdown.peakTs !== null && p.drawdown.recoveredTs === null ? ", not recovered" : ""}`,
    ],
    ["Sharpe", ratioText(p.sharpe, p.returns.period)],
    ["Sortino", ratioText(p.sortino, p.returns.period)],
    [
      "Return period",
      p.returns.annualised
        ? `${p.returns.period}: ${p.returns.periods} periods, annualised × ${p.returns.annualisation.toFixed(2)} (√${Math.round(p.returns.periodsPerYear)} periods a year)`
        : `${p.returns.period}: ${p.returns.periods} periods, not annualised (hourly returns or coarser are)`,
    ],
    ["Round trips", String(p.trades)],
    ["Win rate (net of fees)", orNa(p.winRateNet, percent)],
    ["Profit factor", orNa(p.profitFactor, ratio)],
    ["Average win / loss", `${orNa(p.averageWin, money)} / ${orNa(p.averageLoss, money)}`],
    ["Expectancy per trade", orNa(p.expectancy, money)],
    ["Exposure (time in market)", percent(p.exposure)],
    ["Turnover (traded notional / starting cash)", `${ratio(p.turnover)}×`],
    ["Buy and hold", `${money(p.benchmark.pnl)} (${percent(p.benchmark.return)}) on ${money(p.benchmark.notional)}`],
    ["Signals / orders / fills", `${s.signals} / ${s.orders} / ${s.fills}`],
    [
      "Rejected orders",
      `${s.rejected}${
        Object.keys(s.rejectedByReason).length > 0
          ? ` (${Object.entries(s.rejectedByReason)
              .map(([r, n]) => `${r} ${n}`)
              .join(", ")})`
          : ""
      }`,
    ],
  ];
  return `<table class="figures"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${e(k)}</th><td>${e(v)}</td></tr>`).join("")}</tbody></table>`;
}

function tradeTable(trades: readonly ClosedTrade[]): string {
  const head = [
    "symbol",
    "side",
    "quantity",
    "entry",
    "entry time",
    "exit",
    "exit time",
    "holding",
    "gross",
    "fees",
    "net",
    "MAE",
    "MFE",
  ];
  const rows = trades.map((t) =>
    [
      t.symbol,
      t.side,
      String(t.quantity),
      String(t.entryPrice),
      iso(t.entryTs),
      String(t.exitPrice),
      iso(t.exitTs),
      duration(t.holdingMs),
      money(t.grossPnl),
      money(t.fees),
      money(t.netPnl),
      money(t.maxAdverseExcursion),
      money(t.maxFavorableExcursion),
    ]
      .map((c) => `<td>${e(c)}</td>`)
      .join(""),
  );
  return [
    `<table class="trades"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join("")}</tr></thead><tbody>`,
    rows.length === 0
      ? `<tr class="none"><td colspan="${head.length}">no closed round trips</td></tr>`
      : rows.map((r) => `<tr class="trade">${r}</tr>`).join(""),
    "</tbody></table>",
  ].join("");
}

function strategySection(s: StrategyReport): string {
  const equity = s.equityCurve.map(({ ts, equity }) => [ts, equity] as const);
  return [
    `<section class="strategy" id="strategy-${e(s.id)}">`,
    `<h2>${e(s.id)} <small>${e(`${s.kind}, ${s.interval} bars, ${JSON.stringify(s.params)}`)}</small></h2>`,
    s.halted ? `<p class="warning">halted by the drawdown limit</p>` : "",
    figures(s),
    chart({
      title: `${s.id}: equity`,
      cls: "equity",
      lines: [{ cls: "equity", points: equity }],
      y: (v) => money(v),
    }),
    chart({
      title: `${s.id}: drawdown from the highest equity since start`,
      cls: "drawdown",
      lines: [{ cls: "drawdown", points: drawdownSeries(s) }],
      y: (v) => percent(v),
      area: true,
    }),
    `<h3>Trades</h3>`,
    tradeTable(s.trades),
    "</section>",
  ].join("");
}

function priceSection(report: BacktestReport): string {
  return report.prices
    .map((series) => {
      const markers: Marker[] = report.strategies.flatMap((s) =>
        s.trades
          .filter((t) => t.symbol === series.symbol)
          .flatMap((t): Marker[] => [
            {
              ts: t.entryTs,
              value: t.entryPrice,
              kind: "entry",
              title: `${s.id} ${t.side} entry ${t.quantity} @ ${t.entryPrice}`,
            },
            {
              ts: t.exitTs,
              value: t.exitPrice,
              kind: "exit",
              title: `${s.id} ${t.side} exit @ ${t.exitPrice}, net ${money(t.netPnl)}`,
            },
          ]),
      );
      return chart({
        title: `${series.symbol}: mid, with round-trip entries (▲) and exits (▼)`,
        cls: "price",
        lines: [{ cls: "price", points: series.points.map(({ ts, mid }) => [ts, mid] as const) }],
        markers,
        y: (v) => String(Number(v.toPrecision(8))),
      });
    })
    .join("");
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px}h2{font-size:17px;margin-top:32px}h2 small{font-weight:normal;color:#57606a}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 8px;border-bottom:1px solid #d0d7de;text-align:left}
td{font-variant-numeric:tabular-nums}.figures th{font-weight:normal;color:#57606a}
figure{margin:12px 0}figcaption{color:#57606a;margin-bottom:4px}svg{max-width:100%;height:auto;background:#f6f8fa}
.line{fill:none;stroke-width:1.5}.line.equity{stroke:#0969da}.line.drawdown{stroke:#cf222e}.line.price{stroke:#57606a}
.area.drawdown{fill:#cf222e;fill-opacity:.15;stroke:none}.axis{stroke:#8c959f}.tick{font-size:11px;fill:#57606a}
.marker.entry{fill:#1a7f37}.marker.exit{fill:#cf222e}.warning{color:#9a6700}.empty{color:#57606a}
`;

/** The whole report page. */
export function renderHtmlReport(report: BacktestReport, title: string): string {
  const span =
    report.firstTs !== null && report.lastTs !== null ? `${iso(report.firstTs)} .. ${iso(report.lastTs)}` : "no ticks";
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    // nothing on this page may load from anywhere, itself included
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${e(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${e(title)}</h1>`,
    `<p>${e(`${report.ticks} ticks, ${span}`)}</p>`,
    ...report.warnings.map((w) => `<p class="warning">${e(w)}</p>`),
    ...report.strategies.map(strategySection),
    `<h2>Prices</h2>`,
    priceSection(report),
    "</body></html>",
    "",
  ].join("\n");
}
