import { PrometheusMetrics } from "@tickflow/metrics";
import { API_SECURITY_HEADERS, queryLimit } from "@tickflow/runtime";
import {
  answersBelow500,
  collectGarbage,
  fuzzedTargets,
  hostileRequests,
  pipelinedThenGarbage,
  rawExchange,
  tickflowBytes,
  tickflowSeries,
} from "@tickflow/test-support";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "../src/config";
import type { HttpHandler } from "../src/http/endpoint";
import { ENDPOINTS } from "../src/http/endpoints";
import { createNotFound } from "../src/http/handlers/not-found";
import { startLocalGateway, type LocalGateway } from "../src/local/adapter";
import { ROUTES, type HandlerName } from "../src/http/routes";
import { AlertsQuerySchema, BarsQuerySchema, QuoteQuerySchema, SignalsQuerySchema, type Problem } from "../src/schemas";
import { context, defaultRouteEvent, httpEvent, parse, testDeps, type TestDeps } from "./support/events";
import { startInProcessWorkers, type InProcessWorkers } from "./support/workers";

/**
 * The gateway under hostile input: its local adapter (port 8000) over raw sockets, and its
 * middy handlers as the Lambda runs them. No request may end the process, bad input is a 400
 * naming what is wrong, and every answer carries the security headers, on AWS too.
 */

let workers: InProcessWorkers;
let gateway: LocalGateway;
let deps: TestDeps;
let handlers: Record<HandlerName, HttpHandler>;
const metrics = new PrometheusMetrics({ service: "gateway" });

beforeAll(async () => {
  workers = await startInProcessWorkers({ ticks: 2_000 });
  const env = {
    GATEWAY_PORT: "0",
    MARKET_DATA_URL: workers.marketDataUrl,
    STRATEGY_URL: workers.strategyUrl,
    DATABASE_URL: workers.databaseUrl,
    LOG_LEVEL: "silent",
    AUTH_SECRET: "hostile-http-secret-0123456789abcdef012345",
    AUTH_USERS: JSON.stringify([{ username: "tess", password: "trader-password", role: "trader" }]),
  };
  gateway = await startLocalGateway({
    config: gatewayConfig(env),
    bus: workers.bus,
    metrics,
    logger: pino({ level: "silent" }),
    // short enough for the slow-client case to finish within a test
    http: { headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 50, drainTimeoutMs: 2_000 },
  });
  deps = testDeps(env);
  handlers = Object.fromEntries(ROUTES.map((r) => [r.handler, ENDPOINTS[r.handler].create(deps)])) as Record<
    HandlerName,
    HttpHandler
  >;
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await workers?.stop();
});

async function expectHealthy(after: string) {
  const response = await fetch(`${gateway.url}/api/health`);
  expect(response.status, `/api/health after ${after}`).toBe(200);
}

describe("the local adapter under hostile requests", () => {
  for (const path of ["/api/health", "/api/quotes/AAPL", "/api/bars/AAPL", "/api/fills", "/metrics"]) {
    it(`answers each hand-written case aimed at ${path} below 500 (or closes), and /api/health answers after each`, async () => {
      for (const { name, request, head } of hostileRequests(path)) {
        const exchange = await rawExchange(gateway.port, request, { head, timeoutMs: 3_000 });

        expect(exchange.closed || exchange.answers.length > 0, `${name}: neither an answer nor a close`).toBe(true);
        for (const answer of exchange.answers)
          expect(answer.status, `${name}: ${answer.body.slice(0, 200)}`).toBeLessThan(500);
        await expectHealthy(name);
      }
    }, 120_000);
  }

  it("answers any request target (property) below 500 or with the parser's 400, and stays up", async () => {
    await fc.assert(
      fc.asyncProperty(fuzzedTargets(["/api", "/api/", "quotes", "bars", "AAPL", "limit=", "interval=1m"]), (t) =>
        answersBelow500(gateway.port, t),
      ),
      { numRuns: 200 },
    );
    await expectHealthy("random request targets");
  }, 120_000);

  it("answers pipelined requests before a garbage one, in order, then the garbage with 400 problem+json", async () => {
    const exchange = await rawExchange(gateway.port, pipelinedThenGarbage("/api/health"));

    expect(exchange.answers.map((a) => a.status)).toEqual([200, 200, 400]);
    expect(exchange.answers.slice(0, 2).map((a) => (JSON.parse(a.body) as { status: string }).status)).toEqual([
      "up",
      "up",
    ]);
    expect(JSON.parse(exchange.answers[2]!.body)).toMatchObject({ status: 400, code: "invalid-request" });
    expect(exchange.answers[2]!.headers).toMatchObject(API_SECURITY_HEADERS);
  });

  it("cuts a client that sends its headers too slowly with 408, while answering others", async () => {
    const slow = rawExchange(gateway.port, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n", { timeoutMs: 5_000 });
    await expectHealthy("a slow client started");
    const exchange = await slow;

    expect(exchange.closed).toBe(true);
    expect(exchange.answers.map((a) => a.status)).toEqual([408]);
  });

  it("answers GET //[x with 400 invalid-request, counted as unmatched", async () => {
    const exchange = await rawExchange(
      gateway.port,
      "GET //[x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );

    expect(exchange.answers.map((a) => a.status)).toEqual([400]);
    expect(JSON.parse(exchange.answers[0]!.body)).toMatchObject({ code: "invalid-request" });
  });
});

describe("the command routes under hostile bodies and tokens", () => {
  it("answers each below 500 with the problem that names it, publishes nothing, and stays up", async () => {
    const login = await fetch(`${gateway.url}/api/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "tess", password: "trader-password" }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const CRLF = "\r\n";
    const post = (body: string | Buffer, headers: string[] = [], auth = `Authorization: Bearer ${token}`) =>
      Buffer.concat([
        Buffer.from(
          [
            "POST /api/orders HTTP/1.1",
            "Host: 127.0.0.1",
            "Content-Type: application/json",
            auth,
            ...headers,
            ...(headers.some((h) => /^(content-length|transfer-encoding):/i.test(h))
              ? []
              : [`Content-Length: ${Buffer.byteLength(body)}`]),
            "Connection: close",
            "",
            "",
          ].join(CRLF),
        ),
        Buffer.isBuffer(body) ? body : Buffer.from(body),
      ]);
    const order = { strategyId: "sma", symbol: "AAPL", side: "buy", quantity: 1, type: "market" };
    const unsigned = (claims: object) =>
      [{ alg: "none", typ: "JWT" }, claims]
        .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url"))
        .join(".") + ".";
    const cases: [string, Buffer, number | "closed"][] = [
      ["a body of 1 MiB", post("x".repeat(1 << 20)), 413],
      [
        "a chunked body of 200 KiB",
        post(`30d40${CRLF}${"[".repeat(200_000)}${CRLF}0${CRLF}${CRLF}`, ["Transfer-Encoding: chunked"]),
        413,
      ],
      ["bytes that are no UTF-8", post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400],
      ["JSON nested 8,000 deep", post("[".repeat(8_000) + "]".repeat(8_000)), 400],
      [
        "a prototype key",
        post(
          JSON.stringify({ ...order, __proto__: { role: "admin" } }).replace(
            '"strategyId"',
            '"__proto__":{"x":1},"strategyId"',
          ),
        ),
        400,
      ],
      ["a number past a double", post(JSON.stringify(order).replace('"quantity":1', '"quantity":1e400')), 400],
      ["an empty body", post(""), 400],
      ["an Idempotency-Key of 10 KiB", post(JSON.stringify(order), [`Idempotency-Key: ${"k".repeat(10_240)}`]), 400],
      ["no token", post(JSON.stringify(order), [], "X-No-Auth: 1"), 401],
      ["a bare Bearer", post(JSON.stringify(order), [], "Authorization: Bearer"), 401],
      ["a token of 16 KiB", post(JSON.stringify(order), [], `Authorization: Bearer ${"a".repeat(16_384)}`), 431],
      [
        "a token of 6 KiB of junk",
        post(JSON.stringify(order), [], `Authorization: Bearer ${"a.b".repeat(2_048)}`),
        401,
      ],
      [
        "an unsigned token (alg none) claiming a trader",
        post(
          JSON.stringify(order),
          [],
          `Authorization: Bearer ${unsigned({ sub: "tess", role: "trader", iss: "tickflow-local", aud: "tickflow-api", exp: 9_999_999_999 })}`,
        ),
        401,
      ],
      [
        "a token's signature cut off",
        post(JSON.stringify(order), [], `Authorization: Bearer ${token.split(".").slice(0, 2).join(".")}.`),
        401,
      ],
    ];
    for (const [name, request, status] of cases) {
      const exchange = await rawExchange(gateway.port, request, { timeoutMs: 5_000 });
      expect(
        exchange.answers.map((a) => a.status),
        `${name}: ${exchange.answers[0]?.body.slice(0, 200)}`,
      ).toEqual([status]);
      await expectHealthy(name);
    }
    const submitted = (await workers.bus.readTail("commands", 10_000)).length;
    expect(submitted).toBe(0);
  }, 120_000);
});

describe("security headers", () => {
  it("are on every answer of the local adapter: routes, problems, $default, preflights, /metrics and the parser's 400", async () => {
    const get = (path: string, init?: RequestInit) => fetch(`${gateway.url}${path}`, init);
    const answers = await Promise.all([
      get("/api/quotes"),
      get("/api/quotes/NOPE"),
      get("/api/bars/AAPL?limit=0x10"),
      get("/api/nothing-here"),
      get("/api/quotes", { method: "POST", body: "{}" }),
      get("/api/quotes", {
        method: "OPTIONS",
        headers: { origin: "http://localhost:8080", "access-control-request-method": "GET" },
      }),
      get("/metrics"),
    ]);
    const parserLevel = (await rawExchange(gateway.port, "BREW / HTTP/1.1\r\n\r\n")).answers[0]!;
    const badTarget = (
      await rawExchange(gateway.port, "GET http://[bad/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    ).answers[0]!;

    expect(answers.map((a) => a.status)).toEqual([200, 404, 400, 404, 405, 204, 200]);
    for (const answer of answers) {
      expect(answer.headers.get("x-content-type-options"), answer.url).toBe("nosniff");
      expect(answer.headers.get("content-security-policy"), answer.url).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
    }
    expect([parserLevel.status, badTarget.status]).toEqual([400, 400]);
    expect(parserLevel.headers).toMatchObject(API_SECURITY_HEADERS);
    expect(badTarget.headers).toMatchObject(API_SECURITY_HEADERS);
  });

  it("are on the Lambda's answers too (the middy middleware): a route's, a problem's and the $default route's", async () => {
    const ok = parse(await handlers.quotes(httpEvent("quotes"), context()));
    const problem = parse(
      await handlers.quote(
        httpEvent("quote", { path: { symbol: "NOPE" }, origin: "http://localhost:8080" }),
        context(),
      ),
    );
    const bad = parse(
      await handlers.bars(httpEvent("bars", { path: { symbol: "AAPL" }, query: "limit=1e2" }), context()),
    );
    const fallback = parse(await createNotFound(deps)(defaultRouteEvent("GET", "/nope"), context()));

    expect([ok.status, problem.status, bad.status, fallback.status]).toEqual([200, 404, 400, 404]);
    for (const answer of [ok, problem, bad, fallback]) expect(answer.headers).toMatchObject(API_SECURITY_HEADERS);
    expect(problem.headers["access-control-allow-origin"]).toBe("http://localhost:8080");
  });
});

describe("query parameters", () => {
  const invoke = async (name: HandlerName, query: string, path?: Record<string, string>) =>
    parse<Problem>(await handlers[name](httpEvent(name, { query, path }), context()));

  it.each([
    ["signals", "limit=1&limit=2", "limit"],
    ["signals", "symbol=AAPL&symbol=AAPL", "symbol"],
    ["orders", "type=filled&type=filled", "type"],
    ["signals", "limt=5", "limt"],
    ["signals", "limit=5&__proto__=1", "__proto__"],
    ["alerts", "limit=5&since=0", "since"],
  ] as const)(
    "%s?%s is 400 invalid-parameter naming %s (it was answered with the defaults or one of the values)",
    async (name, query, parameter) => {
      const response = await invoke(name, query);

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: "invalid-parameter",
        parameter,
        errors: [{ parameter, in: "query" }],
      });
    },
  );

  it("names an unknown or repeated parameter of a route with a path parameter too, after the path", async () => {
    expect((await invoke("bars", "interval=1m&interval=1s", { symbol: "AAPL" })).body).toMatchObject({
      status: 400,
      parameter: "interval",
    });
    expect((await invoke("quote", "count=5", { symbol: "AAPL" })).body).toMatchObject({
      status: 400,
      parameter: "count",
    });
    expect((await invoke("quote", "count=5", { symbol: "NOPE" })).status).toBe(404);
  });

  it("leaves the query string of a route that takes no parameters unread", async () => {
    expect((await invoke("quotes", "_=1700000000000&_=1")).status).toBe(200);
    expect((await invoke("instruments", "anything=at-all")).status).toBe(200);
  });

  it("accepts on the gateway exactly the limits the workers' queryLimit accepts, up to the route's maximum (property)", () => {
    const schemas = [
      [QuoteQuerySchema, 1_000],
      [BarsQuerySchema, 1_000],
      [SignalsQuerySchema, 1_000],
      [AlertsQuerySchema, 500],
    ] as const;
    const workerReads = (raw: string): number | undefined => {
      try {
        return queryLimit(new URLSearchParams({ limit: raw }), 1, Number.MAX_SAFE_INTEGER);
      } catch {
        return undefined;
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.stringMatching(/^[-+ 0-9a-fx.eE_]{0,18}$/),
          fc.integer({ min: -10, max: 2_000 }).map(String),
        ),
        (raw) => {
          const worker = workerReads(raw);
          for (const [schema, max] of schemas) {
            const gateway = schema.safeParse({ limit: raw });
            expect(gateway.success, `limit=${JSON.stringify(raw)}`).toBe(worker !== undefined && worker <= max);
            if (gateway.success) expect(gateway.data.limit).toBe(worker);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe("resource bounds", () => {
  it("keeps /metrics' series and size and the heap flat under 5,000 distinct garbage paths and query strings", async () => {
    const kinds = (i: number) => [
      `/api/x${i}/${i.toString(36)}`,
      `/x${i}`,
      `/api/quotes?q${i}=${i}`,
      `/api/signals?q${i}=${i}`,
      `/api/strategies/s${i}`,
      `/api/quotes/S${i}?limit=${i}`,
    ];
    const flood = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => kinds(i + j)[(i + j) % 6]!).map((p) =>
            fetch(`${gateway.url}${p}`).then((r) => r.arrayBuffer()),
          ),
        );
      }
    };
    await flood(0, 300);
    const exposition = async () =>
      (await (await fetch(`${gateway.url}/metrics`)).text())
        .split("\n")
        .filter((l) => !l.includes('route="/metrics"'))
        .join("\n");
    // a full collection first: it adds the major-GC series of the process metrics
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const before = await exposition();

    await flood(1_000, 5_000);

    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    const after = await exposition();
    expect([...tickflowSeries(after)].sort()).toEqual([...tickflowSeries(before)].sort());
    expect(tickflowBytes(after) - tickflowBytes(before)).toBeLessThan(1_000);
    expect(after.length - before.length).toBeLessThan(4_000);
    expect(after).not.toMatch(/x1\d{3}|q1\d{3}|s1\d{3}/);
    expect(heapAfter - heapBefore).toBeLessThan(16 << 20);
  }, 120_000);
});
