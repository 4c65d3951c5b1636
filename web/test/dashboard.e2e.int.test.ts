import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CHROMIUM, CHROMIUM_ARGS, portFree, requireChromium, uniquePrefix } from "@tickflow/test-support";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * The dashboard end to end: the real `tickflow up` runner on the suite's broker (workers,
 * gateway, and the built dashboard on 8080), driven by Debian's Chromium through playwright-core.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const RESULTS = join(ROOT, "test-results");
const DASHBOARD = "http://127.0.0.1:8080/";
const PORTFOLIO = "http://127.0.0.1:8000/api/portfolio";
// the embedded database's port is free, as it should be, when DATABASE_URL names another
const PORTS = {
  "market-data": 7001,
  strategy: 7002,
  projector: 7003,
  database: 5433,
  gateway: 8000,
  web: 8080,
} as const;
/** The runner builds the dashboard when its sources changed, then starts three services one after another. */
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 60_000;
/** The read side's first sample comes with the first closed bar, once the projector has written it. */
const FIRST_SAMPLE_TIMEOUT_MS = 30_000;

interface Runner {
  child: ChildProcess;
  /** What the runner printed, for failure messages. */
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `tickflow up` and resolves once it prints that everything is running. */
async function startRunner(brokers: string): Promise<Runner> {
  // its own process group, so a runner that will not stop can be killed with everything it started
  const child = spawn(process.execPath, ["packages/cli/bin/tickflow.js", "up", "--no-prometheus"], {
    cwd: ROOT,
    // a namespace of its own on the shared broker: topics, and so the embedded read side, start empty
    env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: uniquePrefix("dashboard") },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  const runner: Runner = { child, output: () => output, exited };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes("Tickflow is running:")) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`tickflow up exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await killGroup(runner);
      throw new Error(`tickflow up was not ready within ${START_TIMEOUT_MS / 1_000} s:\n${output}`);
    }
    await sleep(250);
  }
  return runner;
}

async function killGroup(runner: Runner): Promise<void> {
  if (runner.child.exitCode !== null || runner.child.signalCode !== null) return;
  process.kill(-runner.child.pid!, "SIGKILL");
  await runner.exited;
}

/**
 * Resolves once the read side has its first portfolio sample. Until then /api/portfolio answers
 * 503 read-side-empty, which the dashboard waits through but Chromium logs as a console error.
 */
async function firstSample(): Promise<void> {
  const deadline = Date.now() + FIRST_SAMPLE_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    const answer = await fetch(PORTFOLIO).catch((error: Error) => error);
    if (answer instanceof Response) {
      last = `HTTP ${answer.status}: ${await answer.text()}`;
      if (answer.status === 200) return;
    } else last = answer.message;
    await sleep(250);
  }
  throw new Error(`the read side had no portfolio sample within ${FIRST_SAMPLE_TIMEOUT_MS / 1_000} s (${last})`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Collects a page's console errors and warnings and its uncaught exceptions: the dashboard must have none. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      // React puts the component stack in the arguments after the format string
      problems.push(
        `console.${message.type()}: ${message.text()}${message.location().url ? ` (${message.location().url})` : ""}`,
      );
  });
  // an API answer of 4xx or 5xx, with its problem document: what the console line above does not say
  page.on("response", (response) => {
    if (response.status() >= 400)
      void response.text().then(
        (body) => problems.push(`HTTP ${response.status()} ${response.url()}: ${body.slice(0, 300)}`),
        () => problems.push(`HTTP ${response.status()} ${response.url()}`),
      );
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  return problems;
}

/**
 * The chart's largest canvas (its price pane), read back: how many pixels have a candle's
 * colour (#26a69a up, #ef5350 down), and a fingerprint of all of them to tell two charts apart.
 */
function readChart(page: Page): Promise<{ candlePixels: number; fingerprint: string }> {
  return page.getByTestId("price-chart").evaluate((container) => {
    const canvases = [...container.querySelectorAll("canvas")].sort((a, b) => b.width * b.height - a.width * a.height);
    const pane = canvases[0];
    if (!pane || pane.width === 0) return { candlePixels: 0, fingerprint: "" };
    // read a copy: reading the chart's own canvas again and again makes Chromium warn on the console
    const copy = document.createElement("canvas");
    copy.width = pane.width;
    copy.height = pane.height;
    const context = copy.getContext("2d", { willReadFrequently: true })!;
    context.drawImage(pane, 0, 0);
    const { data } = context.getImageData(0, 0, copy.width, copy.height);
    const near = (i: number, r: number, g: number, b: number) =>
      Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 30;
    let candlePixels = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (near(i, 0x26, 0xa6, 0x9a) || near(i, 0xef, 0x53, 0x50)) candlePixels += 1;
      hash = (Math.imul(hash, 31) + data[i]! * 65_536 + data[i + 1]! * 256 + data[i + 2]!) | 0;
    }
    return { candlePixels, fingerprint: `${pane.width}x${pane.height}:${hash}` };
  });
}

describe("the dashboard, end to end", () => {
  let runner: Runner | undefined;
  let browser: Browser | undefined;

  beforeAll(
    async () => {
      requireChromium();
      await mkdir(RESULTS, { recursive: true });
      runner = await startRunner(inject("kafkaBrokers"));
      await firstSample();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    },
    START_TIMEOUT_MS + FIRST_SAMPLE_TIMEOUT_MS + 30_000,
  );

  afterAll(async () => {
    await browser?.close();
    if (runner) {
      runner.child.kill("SIGINT");
      const stopped = await Promise.race([runner.exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped) await killGroup(runner);
    }
  }, STOP_TIMEOUT_MS + 10_000);

  it("loads without console errors, prices move, the chart draws candles and redraws for another symbol, trades download as CSV", async () => {
    // Prepare
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const consoleProblems = watchConsole(page);

    // Act
    await page.goto(DASHBOARD);

    // Assess: the board fills and its prices move between two reads a few polls apart
    const board = page.getByRole("region", { name: "Quotes" }).getByRole("table");
    await page.getByRole("button", { name: "AAPL", exact: true }).waitFor({ timeout: 30_000 });
    const before = await board.innerText();
    await sleep(3_000);
    expect(await board.innerText()).not.toBe(before);

    // Assess: every service reports up
    await expect
      .poll(() => page.getByRole("region", { name: "System health" }).innerText(), { timeout: 15_000 })
      .toMatch(/gateway\s+up[\s\S]*market-data\s+up[\s\S]*strategy\s+up[\s\S]*database\s+up/);

    // Assess: the first symbol's 1s candles are drawn
    await page.getByRole("heading", { name: "AAPL · 1s" }).waitFor();
    await page.getByTestId("price-chart").waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await readChart(page)).candlePixels, { timeout: 15_000 }).toBeGreaterThan(50);
    const aapl = await readChart(page);

    // Act: choose another symbol
    await page.getByRole("button", { name: "MSFT", exact: true }).click();

    // Assess: the chart now shows MSFT's candles, and they are not AAPL's
    await page.getByRole("heading", { name: "MSFT · 1s" }).waitFor();
    expect(await page.getByRole("button", { name: "MSFT", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("img", { name: /^MSFT 1s candlestick chart/ }).waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await readChart(page)).candlePixels, { timeout: 15_000 }).toBeGreaterThan(50);
    expect((await readChart(page)).fingerprint).not.toBe(aapl.fingerprint);

    // Act: the 1m interval refetches without trouble (it may well have no bar yet)
    await page.getByRole("button", { name: "1m", exact: true }).click();
    await page.getByRole("heading", { name: "MSFT · 1m" }).waitFor();
    await page.getByRole("button", { name: "1s", exact: true }).click();
    await page.getByTestId("price-chart").waitFor({ timeout: 30_000 });

    // Assess: the trades table shows the read side's trades, or says there are none yet
    const trades = page.getByRole("region", { name: "Trades" });
    await expect
      .poll(() => trades.innerText(), { timeout: 15_000 })
      .toMatch(/Net PnL[\s\S]*MAE \/ MFE|No closed trades yet/);

    // Act: download them as CSV
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15_000 }),
      trades.getByRole("button", { name: "Download CSV" }).click(),
    ]);

    // Assess: the file is the API's CSV (a header row even without trades), under the filters' name
    expect(download.suggestedFilename()).toBe("tickflow-trades-all-all.csv");
    const csv = await readFile(await download.path(), "utf8");
    expect(csv.split("\r\n")[0]!.split(",")).toEqual(
      expect.arrayContaining(["tradeId", "strategyId", "symbol", "side", "netPnl", "holdingMs"]),
    );
    expect(await trades.getByRole("alert").count()).toBe(0);

    await page.screenshot({ path: join(RESULTS, "dashboard.png"), fullPage: true });
    await page.close();
    expect(consoleProblems).toEqual([]);
  });

  it("fits a phone screen: no horizontal scroll at 390 px", async () => {
    const page = await browser!.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const consoleProblems = watchConsole(page);

    await page.goto(DASHBOARD);
    await page.getByTestId("price-chart").waitFor({ timeout: 30_000 });
    await page.getByRole("region", { name: "Portfolio" }).waitFor();

    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    await page.screenshot({ path: join(RESULTS, "dashboard-phone.png"), fullPage: true });
    await page.close();
    expect(consoleProblems).toEqual([]);
  });

  it(
    "stops everything on SIGINT and leaves no port bound",
    async () => {
      // Act
      runner!.child.kill("SIGINT");
      const exit = await Promise.race([runner!.exited, sleep(STOP_TIMEOUT_MS).then(() => null)]);

      // Assess
      expect(
        exit,
        `tickflow up did not exit within ${STOP_TIMEOUT_MS / 1_000} s of SIGINT:\n${runner!.output()}`,
      ).toEqual({ code: 0, signal: null });
      expect(runner!.output()).toContain("stopped");
      const bound = [];
      for (const [name, port] of Object.entries(PORTS)) if (!(await portFree(port))) bound.push(`${name} ${port}`);
      expect(bound).toEqual([]);
    },
    STOP_TIMEOUT_MS + 10_000,
  );
});
