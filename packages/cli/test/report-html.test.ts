import { runBacktest, simulatedTicks, Universe, type BacktestReport, type ClosedTrade } from "@tickflow/core";
import { describe, expect, it } from "vitest";
import { escapeHtml, renderHtmlReport, thin } from "../src/report-html";

const universe = new Universe();
const HOSTILE = `</title><script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;

function report(): BacktestReport {
  return runBacktest({
    engine: { strategies: [{ id: "sma-crossover", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"] }] },
    universe,
    ticks: simulatedTicks({ instruments: universe.select(["AAPL", "BTC-USD"]), seed: 9 }, 8_000),
  });
}

function trade(symbol: string, entryTs: number, exitTs: number): ClosedTrade {
  return {
    symbol,
    side: "long",
    quantity: 10,
    entryPrice: 190,
    exitPrice: 191,
    entryTs,
    exitTs,
    holdingMs: exitTs - entryTs,
    grossPnl: 10,
    fees: 0.38,
    netPnl: 9.62,
    maxAdverseExcursion: -2,
    maxFavorableExcursion: 12,
  };
}

describe("the HTML report", () => {
  it("escapes every string it is given", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
    const r = report();
    const s = r.strategies[0]!;
    s.params = { ...s.params, note: HOSTILE };
    s.trades = [{ ...trade("AAPL", r.firstTs!, r.lastTs!), symbol: HOSTILE }];
    r.warnings = [HOSTILE];
    const html = renderHtmlReport(r, HOSTILE);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    // the title element holds the whole hostile string, escaped
    expect(html.match(/<title>(.*?)<\/title>/)![1]).toBe(escapeHtml(HOSTILE));
    expect(html).toContain("&#60;/title&#62;&#60;script&#62;alert(&#34;x&#34;)");
    // the only tags are the page's own
    const tags = new Set([...html.matchAll(/<([a-z][a-z0-9]*)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(
      [
        "body",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "head",
        "html",
        "line",
        "meta",
        "p",
        "path",
        "section",
        "small",
        "style",
        "svg",
        "table",
        "tbody",
        "td",
        "text",
        "th",
        "thead",
        "title",
        "tr",
      ].sort(),
    );
  });

  it("draws every round trip in the table and as an entry and an exit on its symbol's price chart", () => {
    const r = report();
    const t0 = r.firstTs!;
    r.strategies[0]!.trades = [
      trade("AAPL", t0 + 1_000, t0 + 5_000),
      trade("AAPL", t0 + 9_000, t0 + 12_000),
      trade("BTC-USD", t0, t0 + 2_000),
    ];
    const html = renderHtmlReport(r, "t");
    expect(html.match(/<tr class="trade">/g)).toHaveLength(3);
    expect(html.match(/class="marker entry"/g)).toHaveLength(3);
    expect(html.match(/class="marker exit"/g)).toHaveLength(3);
    const empty = report();
    for (const s of empty.strategies) s.trades = [];
    const none = renderHtmlReport(empty, "t");
    expect(none).toContain("no closed round trips");
    expect(none).not.toContain('class="marker');
  });
});

describe("thinning a series for a chart", () => {
  it("keeps each bucket's lowest and highest point, in time order", () => {
    // 8 points in 2 buckets of 4: [5, 1, 9, 3] keeps 1 (t1) then 9 (t2); [4, 8, 2, 6] keeps 8 (t5) then 2 (t6)
    const points = [5, 1, 9, 3, 4, 8, 2, 6].map((y, x) => [x, y] as const);
    expect(thin(points, 2)).toEqual([
      [1, 1],
      [2, 9],
      [5, 8],
      [6, 2],
    ]);
    // short series stay whole
    expect(thin(points, 4)).toEqual(points);
  });
});
