import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  answersBelow500,
  fuzzedTargets,
  hostileRequests,
  pipelinedThenGarbage,
  rawExchange,
} from "@tickflow/test-support";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_ATTRIBUTION_STYLE_HASH } from "@tickflow/runtime";
import { DASHBOARD_SECURITY_HEADERS, startStaticServer } from "../src/up/static-server";

/**
 * The dashboard's server (port 8080), which runs inside the `tickflow up` supervisor: whatever a
 * request does, it is answered (below 500, unless the gateway behind /api fails) and the
 * process goes on. A built dashboard in a temporary directory, a stand-in gateway behind /api.
 */

const root = resolve(import.meta.dirname, "../../..");
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>';
const BIG = 8 << 20;

let dist: string;
let gateway: Server;
let gatewayPort: number;
/** What the stand-in gateway saw: each request's method, path and whether it ended before its answer. */
const seen: { method: string; url: string; aborted: boolean }[] = [];
let web: Awaited<ReturnType<typeof startStaticServer>>;
const errors: unknown[] = [];
const url = (path: string) => `http://127.0.0.1:${web.port}${path}`;

/** A stand-in for the gateway: JSON for /api/health, a slow answer, one it breaks off, one that never comes. */
function standInGateway(req: IncomingMessage, res: ServerResponse) {
  const entry = { method: req.method ?? "", url: req.url ?? "", aborted: false };
  seen.push(entry);
  res.on("close", () => (entry.aborted = !res.writableFinished));
  req.resume();
  const path = (req.url ?? "").split("?")[0];
  if (path === "/api/slow")
    return void setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"slow":true}'), 150);
  if (path === "/api/broken") {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"partial":');
    return void setTimeout(() => res.socket?.destroy(), 20);
  }
  if (path === "/api/hang") return;
  res.writeHead(200, {
    "content-type": "application/json",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    connection: "keep-alive",
    "x-hop": "dropped",
  });
  res.end(
    JSON.stringify({
      status: "up",
      method: req.method,
      url: req.url,
      host: req.headers.host,
      hop: req.headers["x-hop"] ?? null,
    }),
  );
}

const openFds = () => readdirSync("/proc/self/fd").length;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), "tickflow-web-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), INDEX);
  writeFileSync(join(dist, "assets", "app.js"), "console.log('tickflow');");
  writeFileSync(join(dist, "assets", "big.js"), Buffer.alloc(BIG, 0x61));
  // a file whose every read fails (EIO): a stream error on a file read
  symlinkSync("/proc/self/mem", join(dist, "assets", "unreadable.js"));
  gateway = createServer(standInGateway);
  await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
  gatewayPort = (gateway.address() as { port: number }).port;
  web = await startStaticServer({
    root: dist,
    port: 0,
    host: "127.0.0.1",
    apiOrigin: `http://127.0.0.1:${gatewayPort}`,
    upstreamTimeoutMs: 300,
    limits: { headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 50, drainTimeoutMs: 2_000 },
    onError: (error) => errors.push(error),
  });
});

afterAll(async () => {
  await web?.close();
  gateway?.closeAllConnections();
  await new Promise<void>((r) => (gateway ? gateway.close(() => r()) : r()));
  rmSync(dist, { recursive: true, force: true });
});

async function expectServing(after: string) {
  const response = await fetch(url("/"));
  expect(response.status, `GET / after ${after}`).toBe(200);
  expect(await response.text()).toBe(INDEX);
}

describe("a request target the URL parser refuses", () => {
  it("is answered 400 problem+json (GET //[x ended the supervisor with TypeError: Invalid URL), and the server keeps serving", async () => {
    const exchange = await rawExchange(web.port, "GET //[x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

    expect(exchange.answers.map((a) => a.status)).toEqual([400]);
    expect(exchange.answers[0]!.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(exchange.answers[0]!.body)).toMatchObject({ status: 400, code: "invalid-request" });
    await expectServing("GET //[x");
  });
});

describe("hostile requests", () => {
  for (const path of ["/", "/assets/app.js", "/api/health"]) {
    it(`answers each hand-written case aimed at ${path} below 500 (or closes), and GET / answers after each`, async () => {
      for (const { name, request, head } of hostileRequests(path)) {
        const exchange = await rawExchange(web.port, request, { head, timeoutMs: 3_000 });

        expect(exchange.closed || exchange.answers.length > 0, `${name}: neither an answer nor a close`).toBe(true);
        for (const answer of exchange.answers)
          expect(answer.status, `${name}: ${answer.body.slice(0, 200)}`).toBeLessThan(500);
        await expectServing(name);
      }
      expect(errors).toEqual([]);
    }, 120_000);
  }

  it("answers any request target (property) below 500 or with the parser's 400, and stays up", async () => {
    await fc.assert(
      fc.asyncProperty(fuzzedTargets(["/api/", "/assets/", "app.js", "index.html"]), (t) =>
        answersBelow500(web.port, t),
      ),
      { numRuns: 200 },
    );
    await expectServing("random request targets");
  }, 120_000);

  it.each(["/", "/api/slow"])(
    "answers pipelined requests for %s before a garbage one, in order, then the garbage with 400",
    async (path) => {
      const exchange = await rawExchange(web.port, pipelinedThenGarbage(path));

      expect(exchange.answers.map((a) => a.status)).toEqual([200, 200, 400]);
      expect(JSON.parse(exchange.answers[2]!.body)).toMatchObject({ code: "invalid-request" });
    },
  );

  it("cuts a client that sends its headers too slowly with 408, while answering others", async () => {
    const slow = rawExchange(web.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", { timeoutMs: 5_000 });
    await expectServing("a slow client started");

    expect((await slow).answers.map((a) => a.status)).toEqual([408]);
  });
});

describe("files", () => {
  it("serves a file, index.html for paths the app routes, HEAD without a body, and refuses other methods with 405", async () => {
    const asset = await fetch(url("/assets/app.js"));
    const route = await fetch(url("/strategies/sma"));
    const outside = await fetch(url("/%2e%2e/%2e%2e/etc/passwd"));
    const head = (
      await rawExchange(web.port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { head: true })
    ).answers[0]!;
    const post = await fetch(url("/"), { method: "POST", body: "x" });

    expect([asset.status, asset.headers.get("content-type"), asset.headers.get("cache-control")]).toEqual([
      200,
      "text/javascript; charset=utf-8",
      "public, max-age=31536000, immutable",
    ]);
    expect(await route.text()).toBe(INDEX);
    expect(await outside.text()).toBe(INDEX);
    expect([head.status, head.headers["content-length"], head.body]).toEqual([200, String(INDEX.length), ""]);
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
  });

  it("cuts the answer when a file read fails half-way, and goes on (the read stream's error had no listener)", async () => {
    const exchange = await rawExchange(
      web.port,
      "GET /assets/unreadable.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );

    expect(exchange.closed).toBe(true);
    expect(exchange.answers.every((a) => a.status < 500)).toBe(true);
    await expectServing("a failed file read");
  });

  it("closes the file of a client that leaves mid-answer: no descriptor is left open", async () => {
    // Prepare: one round first, so lazily opened descriptors exist
    const leave = () =>
      new Promise<void>((done) => {
        const socket = connect(web.port, "127.0.0.1", () =>
          socket.write("GET /assets/big.js HTTP/1.1\r\nHost: x\r\n\r\n"),
        );
        socket.once("data", () => socket.destroy());
        socket.on("close", () => done());
        socket.on("error", () => {});
      });
    await leave();
    await new Promise((r) => setTimeout(r, 200));
    const before = openFds();

    // Act
    for (let i = 0; i < 20; i += 1) await leave();
    await new Promise((r) => setTimeout(r, 300));

    // Assess
    expect(openFds()).toBeLessThanOrEqual(before);
    await expectServing("clients that left mid-answer");
    expect(errors).toEqual([]);
  });
});

describe("/api, forwarded to the gateway", () => {
  it("forwards method, path and query with the gateway as Host and no hop-by-hop header, and passes its answer on", async () => {
    // fetch refuses to send a Connection header
    const exchange = await rawExchange(
      web.port,
      "GET /api/health?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: x-hop, close\r\nX-Hop: secret\r\nKeep-Alive: timeout=1\r\n\r\n",
    );
    const [answer] = exchange.answers;

    expect(answer!.status).toBe(200);
    expect(JSON.parse(answer!.body)).toEqual({
      status: "up",
      method: "GET",
      url: "/api/health?x=1",
      host: `127.0.0.1:${gatewayPort}`,
      hop: null,
    });
    // the gateway's own CSP wins over the dashboard's on its answers; its Connection header was its own
    expect(answer!.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(answer!.headers["x-content-type-options"]).toBe("nosniff");
    expect(answer!.headers["x-hop"]).toBe("dropped");
    expect(answer!.headers.connection).toBe("close");
  });

  it("answers 503 gateway-unavailable when the gateway is down or silent, and cuts an answer it breaks off", async () => {
    const down = await startStaticServer({
      root: dist,
      port: 0,
      host: "127.0.0.1",
      apiOrigin: "http://127.0.0.1:1",
      onError: (e) => errors.push(e),
    });
    try {
      const refused = await fetch(`http://127.0.0.1:${down.port}/api/health`);
      expect([refused.status, refused.headers.get("content-type"), refused.headers.get("retry-after")]).toEqual([
        503,
        "application/problem+json",
        "1",
      ]);
      expect(await refused.json()).toMatchObject({ code: "gateway-unavailable" });
    } finally {
      await down.close();
    }
    const silent = await fetch(url("/api/hang"));
    expect(silent.status).toBe(503);
    expect(((await silent.json()) as { detail: string }).detail).toMatch(/within 300 ms/);
    await expect(fetch(url("/api/broken")).then((r) => r.text())).rejects.toThrow();
    await expectServing("a gateway that failed");
  });

  it("cancels the forwarded request when the client leaves before the gateway answers", async () => {
    const before = seen.length;
    await rawExchange(web.port, "GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n", { timeoutMs: 50 });
    await new Promise((r) => setTimeout(r, 400));

    expect(seen.slice(before)).toEqual([{ method: "GET", url: "/api/slow", aborted: true }]);
  });
});

describe("security headers", () => {
  it("are on every answer: the page, its assets, problems and the parser's 400", async () => {
    const answers = await Promise.all(["/", "/assets/app.js", "/no/such/page", "/%E0"].map((p) => fetch(url(p))));
    const parserLevel = (await rawExchange(web.port, "BREW / HTTP/1.1\r\n\r\n")).answers[0]!;

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 400]);
    for (const answer of answers)
      for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS))
        expect(answer.headers.get(name), `${answer.url} ${name}`).toBe(value);
    expect(parserLevel.status).toBe(400);
    expect(parserLevel.headers).toMatchObject(DASHBOARD_SECURITY_HEADERS);
    const csp = DASHBOARD_SECURITY_HEADERS["content-security-policy"]!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("allow the one inline stylesheet the built app adds (lightweight-charts' attribution logo) by its hash", () => {
    // the stylesheet as the installed lightweight-charts sets it (a <style>'s innerText)
    const source = readFileSync(
      join(root, "node_modules/lightweight-charts/dist/lightweight-charts.production.mjs"),
      "utf8",
    );
    const styles = [...source.matchAll(/[`"'](a#tv-attr-logo\{[^`"']*)[`"']/g)].map((m) => m[1]!);

    expect(styles).toHaveLength(1);
    expect(CHART_ATTRIBUTION_STYLE_HASH).toBe(
      `'sha256-${createHash("sha256").update(styles[0]!, "utf8").digest("base64")}'`,
    );
  });
});
