import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CHROMIUM, CHROMIUM_ARGS, portFree, requireChromium, uniquePrefix } from "@tickflow/test-support";
import { chromium, type Browser, type Page, type WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * The dashboard end to end: the real `tickflow up` runner on the suite's broker (workers,
 * gateway, and the built dashboard on 8080), driven by Debian's Chromium through playwright-core.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const RESULTS = join(ROOT, "test-results");
const DASHBOARD = "http://127.0.0.1:8080/";
const API = "http://127.0.0.1:8000/api";
const PORTFOLIO = `${API}/portfolio`;
/** The gateway's users for this run (AUTH_USERS), and the key it signs their tokens with. */
const TRADER = { username: "e2e-trader", password: "trader-password-e2e", role: "trader" } as const;
const VIEWER = { username: "e2e-viewer", password: "viewer-password-e2e", role: "viewer" } as const;
const AUTH_SECRET = "dashboard-e2e-secret-of-at-least-32-characters";
/** A command's outcome: the engine applies it within a poll or two, and the projector writes it to the audit. */
const COMMAND_TIMEOUT_MS = 20_000;
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
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: uniquePrefix("dashboard"),
      AUTH_USERS: JSON.stringify([TRADER, VIEWER]),
      AUTH_SECRET,
    },
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
 * What a trading session may log on top of a quiet page: each command's GET answers 404
 * unknown-command until the projector has written it to the audit (the dashboard polls through
 * that, as the API documents), and Chromium logs each such 404 as a failed resource load.
 */
function unexpected(problems: readonly string[]): string[] {
  return problems.filter(
    (p) =>
      !/^HTTP 404 http:\/\/127\.0\.0\.1:8080\/api\/commands\/[^ ]+: .*"code":"unknown-command"/.test(p) &&
      !/^console\.error: Failed to load resource: .*404.*\(http:\/\/127\.0\.0\.1:8080\/api\/commands\/[^)]+\)$/.test(p),
  );
}

/** Logs in from the header's form and waits for the name and role to show. */
async function logIn(page: Page, user: { username: string; password: string; role: string }): Promise<void> {
  const form = page.getByRole("form", { name: "Log in" });
  await form.getByLabel("Username", { exact: true }).fill(user.username);
  await form.getByLabel("Password", { exact: true }).fill(user.password);
  await form.getByRole("button", { name: "Log in" }).click();
  await expect
    .poll(() => page.getByTestId("current-user").innerText(), { timeout: 10_000 })
    .toMatch(new RegExp(`^${user.username}\\s+${user.role}$`, "i"));
}

/** The latest quote of a symbol, from the API itself. */
async function quoteOf(symbol: string): Promise<{ bid: number; ask: number }> {
  const answer = await fetch(`${API}/quotes/${symbol}`);
  const body = (await answer.json()) as { quote: { bid: number; ask: number } | null };
  if (!body.quote) throw new Error(`no quote for ${symbol} yet`);
  return body.quote;
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

/** A closed 1m bar with a strategy's signal or fill in it: the first comes a minute or so into the run. */
const MARKERS_TIMEOUT_MS = 120_000;

interface MarkerLayout {
  pane: { width: number; height: number };
  markers: { id: string; start: number; forming: boolean; x: number | null; y: number | null }[];
}

/** Where the chart draws each of its markers, from its own coordinate conversions (the container's markerPositions). */
function markerPositions(page: Page): Promise<MarkerLayout> {
  return page
    .getByTestId("price-chart")
    .evaluate((element) => (element as HTMLElement & { markerPositions: () => MarkerLayout }).markerPositions());
}

/** The markers drawn off the price pane, or not on a bar shown. */
function outside({ pane, markers }: MarkerLayout): string[] {
  return markers
    .filter((m) => m.x === null || m.y === null || m.x < 0 || m.x > pane.width || m.y < 0 || m.y > pane.height)
    .map((m) => `${m.id} at (${m.x}, ${m.y}) in ${pane.width}x${pane.height}`);
}

/** What the chart's container says of its bars and the events behind its markers (chartEvents). */
interface ChartEvents {
  firstStart: number | null;
  lastEnd: number | null;
  events: { kind: "signal" | "fill"; id: string; tsEvent: number }[];
  forming: { start: number; close: number } | null;
}

function chartEvents(page: Page): Promise<ChartEvents> {
  return page
    .getByTestId("price-chart")
    .evaluate((element) => (element as HTMLElement & { chartEvents: () => ChartEvents }).chartEvents());
}

/** A trader's token, from the gateway's token route. */
async function traderToken(): Promise<string> {
  const answer = await fetch(`${API}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: TRADER.username, password: TRADER.password }),
  });
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** Buys a little BTC-USD at market for `breakout` and resolves with the order the engine made. */
async function buyAtMarket(token: string, key: string): Promise<string> {
  const sent = await fetch(`${API}/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ strategyId: "breakout", symbol: "BTC-USD", side: "buy", quantity: 0.001, type: "market" }),
  });
  expect(sent.status, await sent.clone().text()).toBe(202);
  const { commandId } = (await sent.json()) as { commandId: string };
  const deadline = Date.now() + COMMAND_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const answer = await fetch(`${API}/commands/${commandId}`, { headers: { authorization: `Bearer ${token}` } });
    if (answer.status === 200) {
      const command = (await answer.json()) as { status: string; orderId: string | null; detail: string | null };
      if (command.status === "applied" && command.orderId) return command.orderId;
      if (command.status === "rejected") throw new Error(`the order was rejected: ${command.detail}`);
    }
    await sleep(250);
  }
  throw new Error(`no outcome for command ${commandId} within ${COMMAND_TIMEOUT_MS / 1_000} s`);
}

/** Every fill of a symbol since `from`, from the API (all pages). */
async function apiFills(symbol: string, from: number): Promise<{ orderId: string; fillNo: number; tsEvent: number }[]> {
  const items: { orderId: string; fillNo: number; tsEvent: number }[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ symbol, from: String(from), limit: "1000" });
    if (cursor) params.set("cursor", cursor);
    const page = (await (await fetch(`${API}/fills?${params}`)).json()) as {
      items: { orderId: string; fillNo: number; tsEvent: number }[];
      next: string | null;
    };
    items.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return items;
}

/** The routes the stream feeds (requested again and again while it polls). */
const FED_ROUTES = /^\/api\/(quotes|bars\/[^/]+|signals|orders|fills|trades|strategies|portfolio|alerts|commands)$/;

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

    // Assess: no table is cut off: each fits its container, or its container scrolls sideways
    await page.getByRole("region", { name: "Strategies" }).getByRole("table").waitFor({ timeout: 30_000 });
    await page.getByRole("region", { name: "Quotes" }).getByRole("table").waitFor();
    const clipped = await page.evaluate(() =>
      [...document.querySelectorAll("table")].flatMap((table) => {
        const container = table.parentElement!;
        const scrolls = ["auto", "scroll"].includes(getComputedStyle(container).overflowX);
        const box = container.getBoundingClientRect();
        const name = table.closest("section")?.getAttribute("aria-labelledby") ?? "a table";
        const problems = [];
        if (table.scrollWidth > container.clientWidth && !scrolls)
          problems.push(`${name}: ${table.scrollWidth} px wide in ${container.clientWidth} px that do not scroll`);
        if (box.left < 0 || box.right > window.innerWidth)
          problems.push(`${name}: its container spans ${box.left}-${box.right} px of ${window.innerWidth}`);
        return problems;
      }),
    );
    expect(await page.locator("table").count()).toBeGreaterThanOrEqual(2);
    expect(clipped).toEqual([]);
    await page.screenshot({ path: join(RESULTS, "dashboard-phone.png"), fullPage: true });
    await page.close();
    expect(consoleProblems).toEqual([]);
  });

  it("a trader places a resting limit order, sees it working and cancels it, pauses and resumes a strategy, changes a parameter", async () => {
    // Prepare
    const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
    const consoleProblems = watchConsole(page);
    await page.goto(DASHBOARD);
    await logIn(page, TRADER);
    const strategies = page.getByRole("region", { name: "Strategies" });
    await strategies.getByRole("button", { name: "Pause sma-crossover" }).waitFor({ timeout: 30_000 });

    // Act: a buy limit at half the bid rests (the engine needs a quote of the symbol before it takes an order)
    const { bid } = await quoteOf("AAPL");
    const limit = (Math.floor(bid * 50) / 100).toFixed(2);
    const ticket = page.getByRole("form", { name: "Order ticket" });
    await ticket.getByLabel("Strategy", { exact: true }).selectOption("sma-crossover");
    await ticket.getByLabel("Symbol", { exact: true }).selectOption("AAPL");
    await ticket.getByLabel("Side", { exact: true }).selectOption("buy");
    await ticket.getByLabel("Type", { exact: true }).selectOption("limit");
    await ticket.getByLabel("Quantity", { exact: true }).fill("1");
    await ticket.getByLabel("Limit price", { exact: true }).fill(limit);
    await ticket.getByRole("button", { name: "Place order" }).click();

    // Assess: the 202, then applied with the order it made
    const answer = ticket.getByTestId("command-answer");
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: COMMAND_TIMEOUT_MS }).toBe("applied");
    const orderId = /order (\S+)/.exec(await answer.innerText())?.[1];
    expect(orderId, await answer.innerText()).toBeDefined();

    // Assess: it rests in the open-orders table
    const row = page.locator(`[data-testid="open-order"][data-order-id="${orderId}"]`);
    await row.waitFor({ timeout: COMMAND_TIMEOUT_MS });
    expect(await row.getAttribute("data-status")).toBe("working");
    expect(await row.innerText()).toContain(`limit ${limit}`);
    await page.screenshot({ path: join(RESULTS, "dashboard-trading.png"), fullPage: true });

    // Act: cancel it
    await row.getByRole("button", { name: `Cancel order ${orderId}` }).click();

    // Assess: gone from the open orders, canceled in the read side (the stream's order.canceled
    // can reach the page before the projector has written it)
    await row.waitFor({ state: "detached", timeout: COMMAND_TIMEOUT_MS });
    const canceled = async () =>
      (
        (await (await fetch(`${API}/orders?strategy=sma-crossover&status=canceled&limit=50`)).json()) as {
          items: { orderId: string; reason: string | null }[];
        }
      ).items.map((o) => o.orderId);
    await expect.poll(canceled, { timeout: 10_000 }).toContain(orderId);

    // Act + Assess: pause, then resume
    const status = page.getByTestId("status-sma-crossover");
    await strategies.getByRole("button", { name: "Pause sma-crossover" }).click();
    await expect.poll(() => status.innerText(), { timeout: COMMAND_TIMEOUT_MS }).toMatch(/paused/i);
    await strategies.getByRole("button", { name: "Resume sma-crossover" }).click();
    await expect.poll(() => status.innerText(), { timeout: COMMAND_TIMEOUT_MS }).toMatch(/^running$/i);

    // Act: change a parameter (slow 30 -> 45: fast 10 stays below it)
    await strategies.getByRole("button", { name: "Edit parameters of sma-crossover" }).click();
    const params = page.getByRole("form", { name: "Parameters of sma-crossover" });
    const slow = params.getByLabel("slow", { exact: true });
    expect(await slow.inputValue()).toBe("30");
    await slow.fill("45");
    await params.getByRole("button", { name: "Apply changes" }).click();

    // Assess: the table shows the new value
    await expect
      .poll(() => page.getByTestId("params-sma-crossover").innerText(), { timeout: COMMAND_TIMEOUT_MS })
      .toMatch(/\bslow=45\b/);

    // Assess: every command of the session landed as applied in the feed
    const feed = page.getByTestId("commands-feed").getByTestId("command");
    expect(await feed.count()).toBe(5);
    // the last one may still be on its way through the worker and the projector
    await expect
      .poll(() => feed.evaluateAll((items) => items.map((i) => i.getAttribute("data-status"))), { timeout: 15_000 })
      .toEqual(Array(5).fill("applied"));
    await page.screenshot({ path: join(RESULTS, "dashboard-trading-done.png"), fullPage: true });
    await page.close();
    expect(unexpected(consoleProblems)).toEqual([]);
  });

  it("a logged-out user and a viewer see no control, and the API refuses a viewer's command", async () => {
    // Prepare
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const consoleProblems = watchConsole(page);
    await page.goto(DASHBOARD);
    const strategies = page.getByRole("region", { name: "Strategies" });
    await strategies.getByRole("rowheader", { name: /^sma-crossover/ }).waitFor({ timeout: 30_000 });
    await page
      .getByTestId("open-orders")
      .or(page.getByText(/^No open orders/))
      .waitFor();

    const controls = async () => ({
      strategyButtons: await page
        .getByRole("button", { name: /^(Pause|Resume|Flatten|Remove|Edit parameters of|Reset halt of) / })
        .count(),
      addStrategy: await page.getByRole("button", { name: "Add strategy" }).count(),
      orderButtons: await page.getByRole("button", { name: /^(Cancel|Replace) order / }).count(),
      ticket: await page.getByRole("form", { name: "Order ticket" }).count(),
      commands: await page.getByRole("region", { name: "Commands" }).count(),
    });
    const none = { strategyButtons: 0, addStrategy: 0, orderButtons: 0, ticket: 0, commands: 0 };

    // Assess: logged out
    expect(await controls()).toEqual(none);

    // Act
    await logIn(page, VIEWER);

    // Assess: a viewer neither
    await sleep(2_000);
    expect(await controls()).toEqual(none);
    await page.screenshot({ path: join(RESULTS, "dashboard-viewer.png"), fullPage: true });

    // Assess: and the gateway, which decides, refuses the viewer's token with 403
    const token = await page.evaluate(
      () => (JSON.parse(sessionStorage.getItem("tickflow.session") ?? "{}") as { token?: string }).token,
    );
    const refused = await fetch(`${API}/strategies/sma-crossover/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "idempotency-key": "e2e-viewer-pause-1" },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe("forbidden");

    await page.close();
    expect(unexpected(consoleProblems)).toEqual([]);
  });

  it("markers at 1m and 5m lie within the chart's price pane, the crosshair shows the bar, a deep link restores the view", async () => {
    // Prepare: BTC-USD is traded by two strategies (sma-crossover and breakout); a 1m bar has
    // closed by now, and its markers come once a strategy signalled or filled in one
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const consoleProblems = watchConsole(page);

    // Act
    await page.goto(`${DASHBOARD}?symbol=BTC-USD&interval=1m`);

    // Assess: the link's symbol and interval, with a marker on a closed 1m bar
    await page.getByRole("heading", { name: "BTC-USD · 1m" }).waitFor({ timeout: 30_000 });
    const chart1m = page.getByRole("img", { name: /^BTC-USD 1m candlestick chart, \d+ bars, [1-9]\d* markers$/ });
    await chart1m.waitFor({ timeout: MARKERS_TIMEOUT_MS });
    // the bar still forming has markers too: wait for one on a closed bar, whose tooltip has a volume
    await expect
      .poll(async () => (await markerPositions(page)).markers.some((m) => !m.forming && m.x !== null), {
        timeout: MARKERS_TIMEOUT_MS,
      })
      .toBe(true);
    const at1m = await markerPositions(page);
    expect(at1m.markers.length).toBeGreaterThan(0);
    expect(outside(at1m)).toEqual([]);

    // Act + Assess: the crosshair over the chart shows its bar
    const box = (await page.getByTestId("price-chart").boundingBox())!;
    const bar = at1m.markers.find((m) => !m.forming && m.x !== null)!;
    await page.mouse.move(box.x + bar.x!, box.y + box.height / 2);
    await expect
      .poll(() => page.getByTestId("chart-tooltip").innerText(), { timeout: 5_000 })
      .toMatch(/O [\d,.]+ H [\d,.]+ L [\d,.]+ C [\d,.]+ V [\d,.]+/);
    await page.screenshot({ path: join(RESULTS, "dashboard-markers-1m.png") });

    // Act: 5m; the run's first 5m bar may still be forming: it is drawn, with its markers, all the same
    await page.getByRole("button", { name: "5m", exact: true }).click();
    await page.getByRole("heading", { name: "BTC-USD · 5m" }).waitFor();
    const chart5m = page.getByRole("img", { name: /^BTC-USD 5m candlestick chart, \d+ bars, [1-9]\d* markers$/ });
    await chart5m.waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).searchParams.get("interval")).toBe("5m");
    // the price scale takes in the fills' prices at its next redraw (each quote moves the forming bar)
    await expect.poll(async () => outside(await markerPositions(page)), { timeout: 5_000 }).toEqual([]);
    const at5m = await markerPositions(page);
    expect(at5m.markers.length).toBeGreaterThan(0);
    expect(outside(at5m)).toEqual([]);
    await page.screenshot({ path: join(RESULTS, "dashboard-markers-5m.png") });

    // Act: hide sma-crossover's markers
    await page.getByRole("button", { name: "1m", exact: true }).click();
    await page.getByRole("checkbox", { name: "sma-crossover" }).uncheck();
    expect(new URL(page.url()).searchParams.get("strategies")).toBe("breakout");

    // Act: a deep link to another symbol, interval and filter
    await page.goto(`${DASHBOARD}?symbol=ETH-USD&interval=1m&strategies=breakout`);

    // Assess: restored
    await page.getByRole("heading", { name: "ETH-USD · 1m" }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole("button", { name: "ETH-USD", exact: true }).getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByRole("button", { name: "1m", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("checkbox", { name: "mean-reversion" }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole("checkbox", { name: "breakout" }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "mean-reversion" }).isChecked()).toBe(false);
    await page.screenshot({ path: join(RESULTS, "dashboard-deep-link.png") });
    await page.close();
    expect(consoleProblems).toEqual([]);
  });

  it("while the stream is live nothing is polled; cut, it falls back to polling; back, it recovers without a duplicate or missing fill", async () => {
    // Prepare: BTC-USD at 1s, whose bars close every second, and a count of the API requests
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const consoleProblems = watchConsole(page);
    const requests: URL[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/api/") && url.pathname !== "/api/stream") requests.push(url);
    });
    // the quotes board's day open asks the bars route for the day (`from`): not the chart's bars
    const fed = () =>
      requests.filter(
        (u) => FED_ROUTES.test(u.pathname) && !(u.pathname.startsWith("/api/bars/") && u.searchParams.has("from")),
      );
    const count = (path: string) => fed().filter((u) => u.pathname === path).length;
    // the stream goes through Playwright's WebSocket route, so the test can cut it as the network
    // would: close the open connection, and refuse new ones until it lets them through again
    // (Chromium's Network.setBlockedURLs does not apply to WebSocket handshakes)
    let cut = false;
    const connections: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/api\/stream/, (ws) => {
      if (cut) return void ws.close({ code: 1000, reason: "cut by the test" });
      ws.connectToServer();
      connections.push(ws);
    });
    const state = page.getByTestId("stream-state");
    const token = await traderToken();

    await page.goto(`${DASHBOARD}?symbol=BTC-USD&interval=1s`);
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("live");
    await page.getByTestId("price-chart").waitFor({ timeout: 30_000 });
    // the first hello reloads what the stream feeds once; then the stream alone
    await sleep(2_000);

    // Act: 5 s live
    const board = page.getByRole("region", { name: "Quotes" }).getByRole("table");
    const before = await board.innerText();
    const formingBefore = (await chartEvents(page)).forming;
    requests.length = 0;
    await sleep(5_000);

    // Assess: prices and the chart's forming bar moved without a request to the fed routes (a poll
    // every second would be 5 of each); health (5 s) is not fed
    expect(await board.innerText()).not.toBe(before);
    expect((await chartEvents(page)).forming).not.toEqual(formingBefore);
    const livePaths = fed().map((u) => u.pathname + u.search);
    for (const path of ["/api/quotes", "/api/bars/BTC-USD", "/api/signals", "/api/fills", "/api/portfolio"])
      expect(count(path), livePaths.join("\n")).toBe(0);
    expect(fed().length, livePaths.join("\n")).toBeLessThanOrEqual(2);
    await page.screenshot({ path: join(RESULTS, "dashboard-stream-live.png") });

    // Act: cut the stream (new connections refused, the open one closed)
    cut = true;
    for (const ws of connections.splice(0)) await ws.close({ code: 1001, reason: "cut by the test" });

    // Assess: reconnecting, then polling after three failed attempts; the fed routes are polled again
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 5_000 }).toMatch(/^(reconnecting|polling)$/);
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 15_000 }).toBe("polling");
    requests.length = 0;
    // a fill while the stream is down: the polls bring it
    const cutOrder = await buyAtMarket(token, `e2e-stream-cut-${Date.now()}`);
    await sleep(3_000);
    expect(count("/api/quotes")).toBeGreaterThanOrEqual(2);
    expect(count("/api/fills")).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(RESULTS, "dashboard-stream-polling.png") });

    // Act: let it back
    cut = false;

    // Assess: live again (the backoff is at 4 to 8 s by now), and polling stops again
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("live");
    // a fill while live: the stream brings it
    const liveOrder = await buyAtMarket(token, `e2e-stream-live-${Date.now()}`);
    await sleep(2_000);
    requests.length = 0;
    await sleep(3_000);
    expect(count("/api/quotes")).toBe(0);
    expect(count("/api/fills")).toBe(0);

    // Assess: the chart's fills are the API's over the bars shown: none twice, none missing, both orders' in
    const fillsOf = (events: ChartEvents["events"]) => events.filter((e) => e.kind === "fill").map((e) => e.id);
    await expect
      .poll(
        async () => {
          const chart = await chartEvents(page);
          const ids = fillsOf(chart.events);
          const api = (await apiFills("BTC-USD", chart.firstStart!))
            .filter((f) => f.tsEvent < chart.lastEnd!)
            .map((f) => `${f.orderId}:${f.fillNo}`);
          return {
            duplicates: ids.filter((id, i) => ids.indexOf(id) !== i),
            missing: api.filter((id) => !ids.includes(id)),
            extra: ids.filter((id) => !api.includes(id)),
            orders: [cutOrder, liveOrder].filter((o) => ids.some((id) => id.startsWith(`${o}:`))).length,
          };
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toEqual({ duplicates: [], missing: [], extra: [], orders: 2 });
    await page.screenshot({ path: join(RESULTS, "dashboard-stream-recovered.png") });
    await page.close();
    // the blocked handshakes are Chromium's console errors, and the cut's polls nothing else
    expect(unexpected(consoleProblems).filter((p) => !/\/api\/stream|ERR_BLOCKED_BY_CLIENT|WebSocket/.test(p))).toEqual(
      [],
    );
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
