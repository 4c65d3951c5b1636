import { Worker } from "node:worker_threads";
import { PrometheusMetrics } from "@tickflow/metrics";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Upstream, UpstreamError } from "../src/upstream";
import { sample } from "./support/events";

/**
 * A worker's HTTP server in a thread of its own, so it keeps running (and closing idle
 * keep-alive sockets) while the test's thread is frozen, as a Lambda container is between
 * invocations. Each answer names the connection it came on, counted from 1.
 */
const SERVER = `
const { createServer } = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
let connections = 0;
const server = createServer((req, res) => {
  if (workerData.behaviour === "reset") return void req.socket.resetAndDestroy();
  // set by hand, Connection: keep-alive goes out without Node's "Keep-Alive: timeout=0" hint,
  // which would stop the client from pooling the socket at all
  res.writeHead(200, { "content-type": "application/json", connection: "keep-alive" });
  res.end(JSON.stringify({ connection: req.socket.connection }));
});
server.on("connection", (socket) => { socket.connection = ++connections; });
// the workers close idle sockets after 65 s; here after 50 ms (plus the second Node 20.20 adds)
server.keepAliveTimeout = 50;
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", () => parentPort.postMessage(connections));
`;

const workers: Worker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.terminate();
});

async function startServer(behaviour: "answer" | "reset"): Promise<{ url: string; connections(): Promise<number> }> {
  const worker = new Worker(SERVER, { eval: true, workerData: { behaviour } });
  workers.push(worker);
  const next = () =>
    new Promise<number>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const port = await next();
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => {
      const answer = next();
      worker.postMessage("count");
      return answer;
    },
  };
}

/** Blocks this thread: no timer, no socket event runs, as in a frozen Lambda container. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const Answer = z.object({ connection: z.number() });

describe("an upstream call", () => {
  it("sends a GET once more on a new connection when its kept-alive socket was closed by the worker while idle", async () => {
    // Prepare
    const metrics = new PrometheusMetrics({ service: "gateway" });
    const server = await startServer("answer");
    const upstream = new Upstream("market-data", server.url, 2_000, metrics);
    expect(await upstream.getJson("/quotes", Answer)).toEqual({ connection: 1 });

    // Act: the worker closes the idle socket while this thread sleeps; the next call takes it from the pool
    freeze(1_500);
    const answer = await upstream.getJson("/quotes", Answer);

    // Assess
    expect(answer).toEqual({ connection: 2 });
    expect(await server.connections()).toBe(2);
    expect(
      await sample(metrics, "tickflow_upstream_errors_total", { upstream: "market-data", kind: "unreachable" }),
    ).toBeUndefined();
  });

  it("does not send again when a new connection is reset: only a reused socket can be stale", async () => {
    const metrics = new PrometheusMetrics({ service: "gateway" });
    const server = await startServer("reset");
    const upstream = new Upstream("strategy", server.url, 2_000, metrics);

    const failure = await upstream.getJson("/strategies", Answer).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ kind: "unreachable", message: "strategy is unreachable (ECONNRESET)" });
    expect(await server.connections()).toBe(1);
    expect(await sample(metrics, "tickflow_upstream_errors_total", { upstream: "strategy", kind: "unreachable" })).toBe(
      1,
    );
  });
});
