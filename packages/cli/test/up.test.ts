import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { hostileRequests, pipelinedThenGarbage, portFree, rawExchange } from "@tickflow/test-support";
import { describe, expect, it } from "vitest";
import { formatLine } from "../src/up/supervisor";

const root = resolve(import.meta.dirname, "../../..");
const PORTS = [7001, 7002, 8000, 8080];

describe("tickflow up", () => {
  it("runs the platform on the in-memory bus, prints the URLs, and Ctrl-C stops everything it started", async () => {
    for (const port of PORTS) expect(await portFree(port), `port ${port} must be free for this test`).toBe(true);
    const child = spawn(
      process.execPath,
      [join(root, "packages/cli/bin/tickflow.js"), "up", "--bus", "memory", "--no-prometheus"],
      { cwd: root, env: { ...process.env, LOG_LEVEL: "warn" } },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const deadline = Date.now() + 120_000;
    while (!output.includes("Press Ctrl-C")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tickflow up did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toMatch(/broker {7}in-memory bus/);
    for (const url of [
      "http://127.0.0.1:7001/quotes",
      "http://127.0.0.1:7002/strategies",
      "http://127.0.0.1:8000/api/health",
      "http://127.0.0.1:8080/",
    ])
      expect(output).toContain(url.replace(/\/$/, ""));
    const health = await fetch("http://127.0.0.1:8000/api/health");
    expect(health.status).toBe(200);
    const viaWeb = await fetch("http://127.0.0.1:8080/api/quotes");
    expect(viaWeb.status).toBe(200);
    expect(((await viaWeb.json()) as unknown[]).length).toBeGreaterThan(0);
    expect(await (await fetch("http://127.0.0.1:8080/")).text()).toMatch(/<div id="root">/);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGINT: stopping[\s\S]*stopped/);
    for (const port of PORTS) expect(await portFree(port), `port ${port} is still bound`).toBe(true);
  }, 180_000);

  it("survives hostile requests on every port it serves, the dashboard's included: one request cannot end the supervisor", async () => {
    // Prepare: the in-memory bus runs every service inside the supervisor's own process
    for (const port of PORTS) expect(await portFree(port), `port ${port} must be free for this test`).toBe(true);
    const child = spawn(
      process.execPath,
      [join(root, "packages/cli/bin/tickflow.js"), "up", "--bus", "memory", "--no-prometheus"],
      { cwd: root, env: { ...process.env, LOG_LEVEL: "warn" } },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      const deadline = Date.now() + 120_000;
      while (!output.includes("Press Ctrl-C")) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tickflow up did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const targets = [
        { port: 8080, path: "/", health: "/" },
        { port: 8080, path: "/api/health", health: "/" },
        { port: 7001, path: "/health", health: "/health" },
        { port: 7002, path: "/health", health: "/health" },
        { port: 8000, path: "/api/health", health: "/api/health" },
      ];

      // Act and Assess: every case, then the server it hit and the supervisor are still there
      for (const { port, path, health } of targets) {
        const cases = [
          ...hostileRequests(path),
          { name: "pipelined requests, then garbage", request: pipelinedThenGarbage(path), head: false },
        ];
        for (const { name, request, head } of cases) {
          const exchange = await rawExchange(port, request, { head, timeoutMs: 1_500 });
          for (const answer of exchange.answers) expect(answer.status, `${port} ${path}: ${name}`).toBeLessThan(500);
          expect(child.exitCode, `tickflow up exited after ${name} on ${port}:\n${output}`).toBeNull();
          expect((await fetch(`http://127.0.0.1:${port}${health}`)).status, `${port}${health} after ${name}`).toBe(200);
        }
      }
      const garbage = await rawExchange(8080, pipelinedThenGarbage("/"));
      expect(garbage.answers.map((a) => a.status)).toEqual([200, 200, 400]);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited, output).toBe(0);
    for (const port of PORTS) expect(await portFree(port), `port ${port} is still bound`).toBe(true);
  }, 240_000);

  it("stops what it already started when Ctrl-C comes during start-up", async () => {
    for (const port of PORTS) expect(await portFree(port), `port ${port} must be free for this test`).toBe(true);
    const child = spawn(
      process.execPath,
      [join(root, "packages/cli/bin/tickflow.js"), "up", "--bus", "memory", "--no-web", "--no-prometheus"],
      { cwd: root, env: { ...process.env, LOG_LEVEL: "warn" } },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    // market-data is up, the rest is still starting
    const deadline = Date.now() + 60_000;
    while (await portFree(7001)) {
      if (Date.now() > deadline) throw new Error(`market-data did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGINT");
    const code = await exited;
    // 130 when the signal landed mid start-up; 0 if start-up had just finished
    expect([130, 0]).toContain(code);
    expect(output).toMatch(/SIGINT: stopping/);
    for (const port of PORTS) expect(await portFree(port), `port ${port} is still bound`).toBe(true);
  }, 120_000);

  it("refuses to start when a port it needs is taken, naming it", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(7002, "127.0.0.1", r));
    try {
      const child = spawn(
        process.execPath,
        [join(root, "packages/cli/bin/tickflow.js"), "up", "--bus", "memory", "--no-web", "--no-prometheus"],
        { cwd: root },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)));
      expect(code).toBe(2);
      expect(stderr).toMatch(/ports already in use: strategy 7002/);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});

describe("child output", () => {
  it("turns pino JSON into a readable line and passes other text through", () => {
    expect(
      formatLine(
        "strategy",
        '{"level":40,"time":1,"pid":2,"hostname":"h","service":"strategy","msg":"lagging","group":"g","lag":{"0":5}}',
      ),
    ).toBe('strategy   | warn  lagging  group=g lag={"0":5}');
    expect(formatLine("prometheus", "level=warn msg=x")).toBe("prometheus | level=warn msg=x");
  });
});
