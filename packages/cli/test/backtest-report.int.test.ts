import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BacktestReport, ClosedTrade } from "@tickflow/core";
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "@tickflow/test-support";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtmlReport } from "../src/report-html";
import { root, tickflow } from "./run-tickflow";

/**
 * `tickflow backtest --report` opened as a user would: the file in Debian's headless Chromium
 * (through playwright-core) with the network off. Needs /usr/bin/chromium; under CI=true a
 * missing one fails the suite, elsewhere the error says what to install.
 */

const RESULTS = join(root, "test-results");
const ARGS = [
  "backtest",
  "--strategy",
  "sma-crossover,mean-reversion",
  "--symbols",
  "AAPL,BTC-USD",
  "--ticks",
  "40000",
];

interface Drawn {
  svgs: { cls: string; width: number; height: number }[];
  lines: { cls: string; length: number; stroke: string }[];
  markers: { kind: string; x: number; y: number; inside: boolean }[];
  tradeRows: number;
  emptyTradeTables: number;
}

/** What the page drew, measured by the browser's layout and SVG geometry. */
async function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const svgs = [...document.querySelectorAll("figure.chart")].map((f) => {
      const box = f.querySelector("svg")!.getBoundingClientRect();
      return { cls: f.className.replace("chart ", ""), width: box.width, height: box.height };
    });
    const lines = [...document.querySelectorAll<SVGPathElement>("path.line")].map((p) => ({
      cls: p.getAttribute("class")!.replace("line ", ""),
      length: p.getTotalLength(),
      stroke: getComputedStyle(p).stroke,
    }));
    const markers = [...document.querySelectorAll<SVGPathElement>("path.marker")].map((p) => {
      const box = p.getBBox();
      const view = p.ownerSVGElement!.viewBox.baseVal;
      return {
        kind: p.getAttribute("class")!.replace("marker ", ""),
        x: box.x,
        y: box.y,
        inside: box.width > 0 && box.x >= 0 && box.x + box.width <= view.width && box.y >= 0 && box.y <= view.height,
      };
    });
    return {
      svgs,
      lines,
      markers,
      tradeRows: document.querySelectorAll("table.trades tr.trade").length,
      emptyTradeTables: document.querySelectorAll("table.trades tr.none").length,
    };
  });
}

describe("the backtest's HTML report in a browser", () => {
  let browser: Browser | undefined;
  let dir = "";

  beforeAll(async () => {
    requireChromium();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    dir = await mkdtemp(join(tmpdir(), "report-"));
    await mkdir(RESULTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Opens a file offline; every request the page makes besides the file itself is a failure. */
  async function open(file: string, name: string): Promise<{ page: Page; problems: string[] }> {
    const context = await browser!.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const url = pathToFileURL(file).href;
    await context.route("**/*", (route) => {
      if (route.request().url() === url) return route.continue();
      problems.push(`request ${route.request().url()}`);
      return route.abort();
    });
    const page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    await page.goto(url);
    await page.screenshot({ path: join(RESULTS, `backtest-report-${name}.png`), fullPage: true });
    return { page, problems };
  }

  it("draws the equity, drawdown and price charts and the trade table of a real run, with nothing to fetch", async () => {
    const file = join(dir, "report.html");
    const run = await tickflow([...ARGS, "--report", file, "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as BacktestReport;

    const { page, problems } = await open(file, "run");
    const d = await drawn(page);
    expect(problems).toEqual([]);
    expect(await page.title()).toBe("Tickflow backtest: sma-crossover, mean-reversion on AAPL, BTC-USD");
    // an equity and a drawdown chart per strategy, a price chart per symbol, each laid out at a visible size
    expect(d.svgs.map((s) => s.cls)).toEqual(["equity", "drawdown", "equity", "drawdown", "price", "price"]);
    for (const svg of d.svgs) {
      expect(svg.width).toBeGreaterThan(400);
      expect(svg.height).toBeGreaterThan(100);
    }
    // every line has a length on screen (the chart is 816 units wide: a drawn series runs across it) and a colour
    expect(d.lines).toHaveLength(6);
    for (const line of d.lines) {
      expect(line.length).toBeGreaterThan(800);
      expect(line.stroke).not.toBe("none");
    }
    // one row per round trip the report lists, or the table says there are none
    const trades = report.strategies.flatMap((s) => s.trades);
    expect(d.tradeRows).toBe(trades.length);
    expect(d.emptyTradeTables).toBe(report.strategies.filter((s) => s.trades.length === 0).length);
    expect(d.markers).toHaveLength(2 * trades.length);
    await page.context().close();
  });

  it("marks each round trip's entry and exit on its symbol's price chart", async () => {
    const run = await tickflow([...ARGS, "--json"]);
    const report = JSON.parse(run.stdout) as BacktestReport;
    // hand-made round trips at known prices and times, so the markers' places can be checked
    const aapl = report.prices.find((p) => p.symbol === "AAPL")!.points;
    const at = (i: number) => aapl[Math.floor(i)]!;
    const trip = (from: number, to: number, side: ClosedTrade["side"]): ClosedTrade => ({
      symbol: "AAPL",
      side,
      quantity: 50,
      entryPrice: at(from).mid,
      exitPrice: at(to).mid,
      entryTs: at(from).ts,
      exitTs: at(to).ts,
      holdingMs: at(to).ts - at(from).ts,
      grossPnl: 1,
      fees: 0.5,
      netPnl: 0.5,
      maxAdverseExcursion: -1,
      maxFavorableExcursion: 2,
    });
    const n = aapl.length;
    // only these: the run's own round trips would sit at places the test does not know
    for (const s of report.strategies) s.trades = [];
    report.strategies[0]!.trades = [trip(n * 0.1, n * 0.3, "long"), trip(n * 0.5, n * 0.9, "short")];
    const html = join(dir, "trades.html");
    await writeFile(html, renderHtmlReport(report, "trades"));

    const { page, problems } = await open(html, "trades");
    const d = await drawn(page);
    expect(problems).toEqual([]);
    expect(d.tradeRows).toBe(2);
    expect(d.markers.map((m) => m.kind)).toEqual(["entry", "exit", "entry", "exit"]);
    for (const m of d.markers) expect(m.inside).toBe(true);
    // in time order left to right: entry 10%, exit 30%, entry 50%, exit 90% of the way
    const xs = d.markers.map((m) => m.x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    await page.context().close();
  });
});
