import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "./chromium";
import { summarizeLatencies, type LatencySummary } from "./stats";

/** The aim of issue 14: p99 tick-to-screen on the stream under this. */
export const SCREEN_P99_AIM_MS = 100;

const ROOT = resolve(import.meta.dirname, "../../../..");
const DASHBOARD = "http://127.0.0.1:8080/";
/** `tickflow up` builds the dashboard when its sources changed, then starts the services one after another. */
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 60_000;
/** A page's first quotes and its connection state: the stream's parser is a chunk of its own, polling comes after three refused attempts. */
const PAGE_TIMEOUT_MS = 30_000;
/** The first hello reloads every query the stream feeds once: not what the window measures. */
const WARM_UP_MS = 2_000;

export type ScreenMode = "stream" | "polling";

/** A quote's render in a page: when it was painted (ms since epoch) and that minus the quote's tsEvent. */
export type Render = readonly [paintedAt: number, latencyMs: number];

export interface ScreenPage {
  mode: ScreenMode;
  /** Paint time minus the quote's tsEvent, over every quote render on the board in the window. */
  latency: LatencySummary;
  rendersPerSymbolPerSecond: number;
  /** GET /api/quotes the page sent per second in the window: about 1 polling, 0 on the stream. */
  quoteRequestsPerSecond: number;
}

export interface ScreenFigures {
  symbols: number;
  windowSeconds: number;
  stream: ScreenPage;
  polling: ScreenPage;
  /** Polling's p99 over the stream's. */
  p99Ratio: number;
  /** The stream's p99 is under SCREEN_P99_AIM_MS. */
  meetsAim: boolean;
}

/** What a page recorded, with the window it is cut to. */
export interface PageRecord {
  renders: readonly Render[];
  quoteRequests: number;
}

/** The figures of one run: each page's renders painted in [from, to), summarized. */
export function screenFigures(
  pages: Record<ScreenMode, PageRecord>,
  window: { from: number; to: number },
  symbols: number,
): ScreenFigures {
  const seconds = (window.to - window.from) / 1_000;
  const page = (mode: ScreenMode): ScreenPage => {
    const latencies = pages[mode].renders
      .filter(([at]) => at >= window.from && at < window.to)
      .map(([, latency]) => latency);
    return {
      mode,
      latency: summarizeLatencies(latencies),
      rendersPerSymbolPerSecond: latencies.length / symbols / seconds,
      quoteRequestsPerSecond: pages[mode].quoteRequests / seconds,
    };
  };
  const stream = page("stream");
  const polling = page("polling");
  return {
    symbols,
    windowSeconds: seconds,
    stream,
    polling,
    p99Ratio: polling.latency.p99Ms / stream.latency.p99Ms,
    meetsAim: stream.latency.p99Ms < SCREEN_P99_AIM_MS,
  };
}

/** What the instrumented page keeps in `window.screenBench`. */
interface InPage {
  renders: [number, number][];
  /** Every change of the connection badge's state after the first render: [when, state]. */
  states: [number, string][];
}

/**
 * Runs in each page before its scripts (page.addInitScript): every change of a quote row's
 * data-ts-event is a new quote shown; its latency is taken once that frame is painted (a task
 * queued from the frame's requestAnimationFrame runs after its paint). The connection badge's
 * data-state changes are kept too, to prove the page stayed in its mode.
 */
function instrument() {
  const record: InPage = { renders: [], states: [] };
  (window as unknown as { screenBench: InPage }).screenBench = record;
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      const element = mutation.target as HTMLElement;
      if (mutation.attributeName === "data-state") {
        record.states.push([Date.now(), element.dataset.state ?? ""]);
        continue;
      }
      const tsEvent = Number(element.dataset.tsEvent);
      requestAnimationFrame(() =>
        setTimeout(() => {
          const now = Date.now();
          record.renders.push([now, now - tsEvent]);
        }, 0),
      );
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ts-event", "data-state"] });
}

interface Platform {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

/**
 * Starts `tickflow up` in a process group of its own, in a namespace of its own on the broker:
 * its topics and consumer groups (a strategy worker of the same group would fence a user's) are
 * the run's, and under a topic prefix `up` keeps the embedded read side in memory, so it starts
 * empty and nothing lands in ~/.cache/tickflow/read-side or a user's DATABASE_URL.
 */
async function startPlatform(brokers: string): Promise<Platform> {
  const run = `bench-screen-${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: `${run}-`,
    ST_GROUP_ID: `${run}-strategy`,
    PJ_GROUP_ID: `${run}-projector`,
    ALERTS_GROUP_ID: `${run}-alerts`,
    STREAM_GROUP_ID: `${run}-stream`,
    // the pages read without logging in
    AUTH_READS: "open",
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["packages/cli/bin/tickflow.js", "up", "--no-prometheus"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((done) => child.once("exit", done));
  const platform = { child, output: () => output, exited };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes("Tickflow is running:")) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`tickflow up exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stopPlatform(platform);
      throw new Error(`tickflow up was not ready within ${START_TIMEOUT_MS / 1_000} s:\n${output}`);
    }
    await sleep(250);
  }
  return platform;
}

/** SIGINT, as Ctrl-C; then whatever of its process group is left, or all of it if it did not stop in time. */
async function stopPlatform(platform: Platform): Promise<void> {
  if (platform.child.exitCode === null && platform.child.signalCode === null) {
    platform.child.kill("SIGINT");
    await Promise.race([platform.exited, sleep(STOP_TIMEOUT_MS)]);
  }
  try {
    process.kill(-platform.child.pid!, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until it returns true, else fails with `what`. */
async function until(read: () => Promise<boolean>, what: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  while (!(await read())) {
    if (Date.now() > deadline) throw new Error(`${await what()} within ${PAGE_TIMEOUT_MS / 1_000} s`);
    await sleep(250);
  }
}

const REFUSED = "refused by the bench";
const badge = (page: Page) => page.getByTestId("stream-state");
/** The connection badge's state; polling only once the stream was refused (a page starts as polling, before its first attempt). */
async function state(page: Page): Promise<string | null> {
  const shown = await badge(page).getAttribute("data-state");
  if (shown !== "polling") return shown;
  return (await badge(page).getAttribute("title"))?.includes(REFUSED) ? "polling" : "polling, not yet refused";
}

interface Opened {
  page: Page;
  quoteRequests: () => number;
  resetRequests: () => void;
}

/** One page of the dashboard, instrumented; polling: its WebSocket to /api/stream refused, so it falls back to polling. */
async function openPage(browser: Browser, mode: ScreenMode): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(instrument);
  if (mode === "polling")
    await page.routeWebSocket(/\/api\/stream/, (ws) => void ws.close({ code: 1000, reason: REFUSED }));
  let quoteRequests = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/quotes") quoteRequests += 1;
  });
  await page.goto(DASHBOARD);
  return { page, quoteRequests: () => quoteRequests, resetRequests: () => (quoteRequests = 0) };
}

const inPage = (page: Page) => page.evaluate(() => (window as unknown as { screenBench: InPage }).screenBench);

/** Waits for a page in its mode (the connection badge says it), visible, its board moving. */
async function ready(page: Page, mode: ScreenMode): Promise<void> {
  const expected = mode === "stream" ? "live" : "polling";
  await until(
    async () => (await state(page)) === expected,
    async () => `the ${mode} page's connection is ${await state(page)}, not ${expected},`,
  );
  // a hidden page paints no frame and throttles its timers: it would measure Chromium, not the dashboard
  const visibility = await page.evaluate(() => document.visibilityState);
  if (visibility !== "visible") throw new Error(`the ${mode} page is ${visibility}`);
  await until(
    async () => (await inPage(page)).renders.length > 0,
    async () => `the ${mode} page's quotes board showed no new quote`,
  );
}

/**
 * Tick-to-screen latency on the real platform (`tickflow up` on `brokers`): two pages of the
 * dashboard in one Chromium at the same time, one on the stream and one polling, each recording
 * paint time minus tsEvent of every quote its board shows for `windowSeconds`.
 */
export async function benchScreen(options: {
  brokers: string;
  windowSeconds: number;
  log: (line: string) => void;
}): Promise<ScreenFigures> {
  requireChromium();
  options.log("screen: tickflow up");
  const platform = await startPlatform(options.brokers);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pages = {
      stream: await openPage(browser, "stream"),
      polling: await openPage(browser, "polling"),
    };
    await Promise.all([ready(pages.stream.page, "stream"), ready(pages.polling.page, "polling")]);
    await sleep(WARM_UP_MS);
    options.log(`screen: ${options.windowSeconds} s window, stream and polling pages`);
    const from = Date.now();
    for (const opened of Object.values(pages)) opened.resetRequests();
    await sleep(options.windowSeconds * 1_000);
    const to = Date.now();
    const requests = { stream: pages.stream.quoteRequests(), polling: pages.polling.quoteRequests() };
    const records = { stream: await inPage(pages.stream.page), polling: await inPage(pages.polling.page) };
    // the stream page must stay live; the polling page keeps retrying the stream (and polls on through
    // each attempt), so only its going live would spoil it
    const leaves = { stream: (state: string) => state !== "live", polling: (state: string) => state === "live" };
    for (const mode of ["stream", "polling"] as const) {
      const changes = records[mode].states.filter(
        ([at, state]) => at >= from - WARM_UP_MS && at < to && leaves[mode](state),
      );
      if (changes.length > 0)
        throw new Error(`the ${mode} page left its mode during the window: ${JSON.stringify(changes)}`);
    }
    const symbols = await pages.stream.page.locator("tr[data-ts-event]").count();
    return screenFigures(
      {
        stream: { renders: records.stream.renders, quoteRequests: requests.stream },
        polling: { renders: records.polling.renders, quoteRequests: requests.polling },
      },
      { from, to },
      symbols,
    );
  } finally {
    await browser?.close();
    await stopPlatform(platform);
  }
}
