import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { evaluateDashboards, type DashboardEvaluation } from "../dashboards";
import { requireTool } from "@tickflow/test-support";

const root = resolve(import.meta.dirname, "../..");
const tickflow = join(root, "packages/cli/bin/tickflow.js");
const PROMETHEUS = "http://127.0.0.1:9091";
const SYMBOLS = ["AAPL", "MSFT", "TSLA", "BTC-USD", "ETH-USD", "EUR-USD", "GBP-USD"];

/** Short windows so every strategy signals and trades within seconds of the first bars. */
const FAST_STRATEGIES = [
  { id: "sma-crossover", kind: "sma-crossover", symbols: SYMBOLS, params: { fast: 2, slow: 4 } },
  { id: "mean-reversion", kind: "mean-reversion", symbols: SYMBOLS, params: { window: 5, entryZ: 1, exitZ: 0.2 } },
  { id: "breakout", kind: "breakout", symbols: SYMBOLS, params: { window: 4, exitWindow: 2 } },
];

const TRADER = { username: "trader", password: "live-platform-password", role: "trader" };

/**
 * Requests that exercise the API's success, 4xx and CORS paths, so the HTTP panels have series,
 * and a command (a reset of a strategy that is not halted: refused, changing nothing), so the
 * commands panel has one too.
 */
async function apiTraffic(): Promise<void> {
  const login = await fetch("http://127.0.0.1:8000/api/auth/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: TRADER.username, password: TRADER.password }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  await fetch("http://127.0.0.1:8000/api/strategies/breakout/reset", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  }).then((r) => r.arrayBuffer());
  for (const path of [
    "/api/quotes",
    "/api/bars/AAPL?interval=1s",
    "/api/strategies",
    "/api/portfolio",
    "/api/signals?limit=5",
    "/api/orders?limit=5",
    "/api/bars/NOPE",
    "/api/signals?limit=0",
  ]) {
    await fetch(`http://127.0.0.1:8000${path}`).then((r) => r.arrayBuffer());
  }
}

describe("the running platform under Prometheus", () => {
  it("answers every Grafana panel's query with data, and tickflow doctor prometheus finds every job up", async () => {
    requireTool("prometheus");
    const cache = await mkdtemp(join(tmpdir(), "tickflow-live-"));
    const child = spawn(process.execPath, [tickflow, "up", "--no-web"], {
      cwd: root,
      // a fresh cache folder gives Prometheus an empty TSDB: only this run's samples count
      env: {
        ...process.env,
        KAFKA_BROKERS: inject("kafkaBrokers"),
        TICKFLOW_CACHE_DIR: cache,
        LOG_LEVEL: "warn",
        ST_STRATEGIES: JSON.stringify(FAST_STRATEGIES),
        AUTH_USERS: JSON.stringify([TRADER]),
      },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      const startBy = Date.now() + 120_000;
      while (!output.includes("Press Ctrl-C")) {
        if (Date.now() > startBy || child.exitCode !== null) throw new Error(`tickflow up did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(output).toContain(`prometheus   ${PROMETHEUS}/`);

      // Poll until every panel has data: bars need a few seconds, signals and fills a few bars,
      // rates two scrapes. What still fails at the deadline is what the assertion shows.
      let results: DashboardEvaluation[] = [];
      const deadline = Date.now() + 150_000;
      for (;;) {
        await apiTraffic();
        results = await evaluateDashboards(PROMETHEUS);
        if (results.every((r) => r.ok && r.series > 0) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 5_000));
      }
      const failing = results
        .filter((r) => !r.ok || r.series === 0)
        .map((r) => `${r.dashboard} / ${r.panel}: ${r.error ?? "no series"} (${r.expr})`);
      expect(failing).toEqual([]);
      expect(results.length).toBeGreaterThan(30);

      const doctor = await promisify(execFile)(
        process.execPath,
        [tickflow, "doctor", "prometheus", "--url", PROMETHEUS, "--json"],
        { cwd: root },
      ).catch((error: { code: number; stdout: string }) => ({ stdout: error.stdout, code: error.code }));
      const report = JSON.parse(doctor.stdout) as {
        status: string;
        checks: { name: string; status: string; detail?: string }[];
      };
      expect(report.checks.filter((c) => c.status === "CRIT")).toEqual([]);
    } finally {
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      await rm(cache, { recursive: true, force: true });
    }
  }, 360_000);
});
