import { parseDecimalInteger } from "@tickflow/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusMetrics } from "@tickflow/metrics";
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
import {
  API_SECURITY_HEADERS,
  createGuardedServer,
  HttpProblem,
  listen,
  queryLimit,
  startServiceHttp,
  type HttpRoute,
} from "../src";

/**
 * The workers' HTTP face (ports 7001, 7002) under hostile requests: no request may end the
 * process, every answer is below 500 unless a route fails, and bad input is a 400 naming what is wrong.
 */

type Service = Awaited<ReturnType<typeof startServiceHttp>>;

const errors: unknown[] = [];
const metrics = new PrometheusMetrics({ service: "test" });
const routes: HttpRoute[] = [
  {
    method: "GET",
    path: "/things/{id}",
    query: ["limit"],
    handle: ({ params, query }) => ({ status: 200, body: { id: params.id, limit: queryLimit(query, 10, 100) } }),
  },
  { method: "GET", path: "/open", handle: ({ query }) => ({ status: 200, body: Object.fromEntries(query) }) },
  { method: "POST", path: "/things/{id}/reset", query: [], handle: () => ({ status: 202, body: {} }) },
  {
    method: "GET",
    path: "/slow",
    query: [],
    handle: async () => new Promise((r) => setTimeout(() => r({ status: 200, body: { slow: true } }), 150)),
  },
  {
    method: "GET",
    path: "/big",
    query: [],
    handle: () => ({ status: 200, body: "x".repeat(8 << 20), contentType: "text/plain" }),
  },
  {
    method: "GET",
    path: "/throws",
    query: [],
    handle: () => {
      throw new TypeError("a bug in a route");
    },
  },
  { method: "GET", path: "/rejects", query: [], handle: () => Promise.reject(new Error("a bug in an async route")) },
  // JSON.stringify throws on a BigInt: a body that cannot be sent
  { method: "GET", path: "/unsendable", query: [], handle: () => ({ status: 200, body: { n: 1n } }) },
];

let service: Service;
const url = (path: string) => `http://127.0.0.1:${service.port}${path}`;

async function expectHealthy(after: string) {
  const response = await fetch(url("/health"));
  expect(response.status, `/health after ${after}`).toBe(200);
}

beforeAll(async () => {
  service = await startServiceHttp({
    port: 0,
    metrics,
    health: async () => ({ ok: true }),
    routes,
    onError: (error) => errors.push(error),
    // short enough for the slow-client cases to finish within a test
    limits: { headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 50, drainTimeoutMs: 2_000 },
  });
});

afterAll(async () => {
  await service?.close();
});

describe("a request target the URL parser refuses", () => {
  it("is answered 400 problem+json (GET //[x ended the worker with TypeError: Invalid URL), and the worker keeps serving", async () => {
    // Act
    const exchange = await rawExchange(
      service.port,
      "GET //[x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );

    // Assess
    expect(exchange.answers).toHaveLength(1);
    const [answer] = exchange.answers;
    expect(answer!.status).toBe(400);
    expect(answer!.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(answer!.body)).toMatchObject({ status: 400, code: "invalid-request" });
    expect((await metrics.exposition()).body).toMatch(
      /tickflow_http_requests_total\{route="unmatched",method="GET",status="400",service="test"\} \d+/,
    );
    await expectHealthy("GET //[x");
  });
});

describe("hostile requests", () => {
  for (const path of ["/health", "/things/AAPL", "/things/a/reset"]) {
    it(`answers each hand-written case aimed at ${path} below 500 (or closes), and /health answers after each`, async () => {
      for (const { name, request, head } of hostileRequests(path)) {
        const exchange = await rawExchange(service.port, request, { head, timeoutMs: 3_000 });

        expect(exchange.closed || exchange.answers.length > 0, `${name}: neither an answer nor a close`).toBe(true);
        for (const answer of exchange.answers)
          expect(answer.status, `${name}: ${answer.body.slice(0, 200)}`).toBeLessThan(500);
        await expectHealthy(name);
      }
      expect(errors).toEqual([]);
    }, 120_000);
  }

  it("answers any request target (property) below 500 or with the parser's 400, and stays up", async () => {
    await fc.assert(
      fc.asyncProperty(fuzzedTargets(["http://", "health", "things", "limit=", "0x10"]), (t) =>
        answersBelow500(service.port, t),
      ),
      { numRuns: 300 },
    );
    await expectHealthy("random request targets");
  }, 120_000);

  it("answers pipelined requests before a garbage one, in order, then the garbage with 400 (Node's own handling dropped them)", async () => {
    // Prepare: the first answer takes a while, so the garbage arrives while both are in flight
    const request = pipelinedThenGarbage("/slow");

    // Act
    const exchange = await rawExchange(service.port, request);

    // Assess
    expect(exchange.answers.map((a) => a.status)).toEqual([200, 200, 400]);
    expect(exchange.answers.slice(0, 2).map((a) => JSON.parse(a.body))).toEqual([{ slow: true }, { slow: true }]);
    expect(exchange.answers[2]!.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(exchange.answers[2]!.body)).toMatchObject({ status: 400, code: "invalid-request" });
    expect(exchange.closed).toBe(true);
  });

  it("cuts a client that sends its headers too slowly with 408, while answering others", async () => {
    // Act: half a request, then silence
    const slow = rawExchange(service.port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n", {
      timeoutMs: 5_000,
    });
    await expectHealthy("a slow client started");
    const exchange = await slow;

    // Assess
    expect(exchange.closed).toBe(true);
    expect(exchange.answers.map((a) => a.status)).toEqual([408]);
    expect(exchange.elapsedMs).toBeLessThan(3_000);
  });

  it("answers headers over the limit with 431 problem+json", async () => {
    const exchange = await rawExchange(
      service.port,
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"b".repeat(32_768)}\r\n\r\n`,
    );

    expect(exchange.answers.map((a) => a.status)).toEqual([431]);
    expect(JSON.parse(exchange.answers[0]!.body)).toMatchObject({ code: "headers-too-large" });
  });

  it("survives clients that disconnect before and during an answer", async () => {
    // before: the route is still working when the client goes
    for (let i = 0; i < 20; i += 1)
      await rawExchange(service.port, "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", { timeoutMs: 20 });
    // during: 8 MiB the client stops reading after the first bytes of
    for (let i = 0; i < 5; i += 1)
      await rawExchange(service.port, "GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", { timeoutMs: 30 });
    await new Promise((r) => setTimeout(r, 300));

    await expectHealthy("clients that went away");
    expect(errors).toEqual([]);
  });

  it("answers a route that throws, rejects or returns a body it cannot send with 500 problem+json and reports it", async () => {
    const before = errors.length;
    for (const path of ["/throws", "/rejects", "/unsendable"]) {
      const response = await fetch(url(path));
      expect(response.status, path).toBe(500);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ code: "internal-error" });
    }
    expect(errors.splice(before)).toHaveLength(3);
    await expectHealthy("routes that failed");
  });
});

describe("the guarded server", () => {
  it("keeps the connection, and the answers pipelined after it, of a listener that throws once its answer is complete", async () => {
    // Prepare: a listener with a bug after it has answered, and one that throws before
    const reported: unknown[] = [];
    const server = createGuardedServer(
      (req, res) => {
        if (req.url === "/before") {
          // a length for an answer that never comes must not frame the 500
          res.setHeader("content-length", "999");
          throw new Error("before answering");
        }
        res.end("done");
        throw new Error("after answering");
      },
      { headers: API_SECURITY_HEADERS, onError: (error) => reported.push(error) },
    );
    const { port, close } = await listen(server, 0, "127.0.0.1");
    try {
      // Act
      const exchange = await rawExchange(
        port,
        "GET /after HTTP/1.1\r\nHost: x\r\n\r\nGET /before HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );

      // Assess
      expect(exchange.answers.map((a) => [a.status, a.body.startsWith("{") ? "problem" : a.body])).toEqual([
        [200, "done"],
        [500, "problem"],
        [200, "done"],
      ]);
      expect(reported.map((e) => (e as Error).message)).toEqual([
        "after answering",
        "before answering",
        "after answering",
      ]);
    } finally {
      await close();
    }
  });
});

describe("security headers", () => {
  it("are on every answer: routes, problems, /metrics, and the parser's own 400", async () => {
    const answers = await Promise.all(
      ["/health", "/metrics", "/things/a", "/nothing", "/things/a/reset", "/throws", "/things/a?limit=0x10"].map((p) =>
        fetch(url(p)),
      ),
    );
    const parserLevel = (await rawExchange(service.port, "BREW / HTTP/1.1\r\n\r\n")).answers[0]!;

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 404, 405, 500, 400]);
    for (const answer of answers) {
      expect(answer.headers.get("x-content-type-options"), answer.url).toBe("nosniff");
      expect(answer.headers.get("content-security-policy"), answer.url).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
    }
    expect(parserLevel.status).toBe(400);
    expect(parserLevel.headers).toMatchObject(API_SECURITY_HEADERS);
    errors.length = 0;
  });

  it("name the methods a path takes in Allow on a 405", async () => {
    const response = await fetch(url("/things/a/reset"));

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

describe("query parameters", () => {
  it.each([
    ["/things/a?limit=0x10", "invalid-limit", "limit"],
    ["/things/a?limit=1e2", "invalid-limit", "limit"],
    ["/things/a?limit=%205", "invalid-limit", "limit"],
    ["/things/a?limit=1&limit=2", "invalid-parameter", "limit"],
    ["/things/a?limt=5", "invalid-parameter", "limt"],
    ["/health?verbose=1", "invalid-parameter", "verbose"],
    ["/open?tag=a&tag=b", "invalid-parameter", "tag"],
  ])("refuses %s with 400 %s naming %s", async (path, code, parameter) => {
    const response = await fetch(url(path));

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, code, parameter });
  });

  it("lets a route without a parameter list take any parameter once", async () => {
    expect(await (await fetch(url("/open?a=1&b=2"))).json()).toEqual({ a: "1", b: "2" });
    expect(await (await fetch(url("/things/a?limit=007"))).json()).toEqual({ id: "a", limit: 7 });
  });

  it("reads limit by the one integer rule (parseDecimalInteger): exactly the positive integers it spells, capped (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[-+ 0-9a-fx.e]{0,18}$/), fc.integer().map(String)),
        (raw) => {
          const spelled = parseDecimalInteger(raw);
          let read: number | undefined;
          try {
            read = queryLimit(new URLSearchParams({ limit: raw }), 10, 500);
          } catch (error) {
            expect(error).toBeInstanceOf(HttpProblem);
            expect(error).toMatchObject({ status: 400, code: "invalid-limit", extras: { parameter: "limit" } });
          }
          expect(read).toBe(spelled !== undefined && spelled >= 1 ? Math.min(spelled, 500) : undefined);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe("resource bounds", () => {
  it("keeps /metrics' series and size and the heap flat under 5,000 distinct garbage paths and query strings", async () => {
    // Prepare: one of each kind first, so every label set that can exist exists
    const kinds = (i: number) => [
      `/garbage/${i}/${i.toString(36)}`,
      `/things/${i}?q${i}=${i}`,
      `/things/${i}?limit=${i % 7 === 0 ? "x" : i + 1}`,
      `/things/${i}/reset`,
      `/open?k${i}=${i}`,
      `/health?h${i}=1`,
    ];
    const flood = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) => kinds(i + j)[(i + j) % 6]!).map((p) =>
            fetch(url(p)).then((r) => r.arrayBuffer()),
          ),
        );
      }
    };
    await flood(0, 300);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const before = (await metrics.exposition()).body;

    // Act
    await flood(1_000, 5_000);

    // Assess
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    const after = (await metrics.exposition()).body;
    expect([...tickflowSeries(after)].sort()).toEqual([...tickflowSeries(before)].sort());
    expect(tickflowBytes(after) - tickflowBytes(before)).toBeLessThan(1_000);
    expect(after.length - before.length).toBeLessThan(4_000);
    expect(after).not.toMatch(/garbage|q1\d{3}/);
    expect(heapAfter - heapBefore).toBeLessThan(8 << 20);
  }, 60_000);
});

describe("service HTTP", () => {
  it("answers a malformed path with 400 problem+json instead of failing, and counts it under its route", async () => {
    const metrics = new PrometheusMetrics();
    const http = await startServiceHttp({
      port: 0,
      metrics,
      health: async () => ({ ok: true }),
      routes: [
        { method: "GET", path: "/things/{id}", handle: ({ params }) => ({ status: 200, body: { id: params.id } }) },
      ],
    });
    try {
      const bad = await fetch(`http://127.0.0.1:${http.port}/things/%E0`);
      expect(bad.status).toBe(400);
      expect(bad.headers.get("content-type")).toBe("application/problem+json");
      expect(await bad.json()).toMatchObject({ code: "invalid-path" });
      expect(await (await fetch(`http://127.0.0.1:${http.port}/things/a%20b`)).json()).toEqual({ id: "a b" });
      expect((await metrics.exposition()).body).toMatch(
        /tickflow_http_requests_total\{route="\/things\/{id}",method="GET",status="400"\} 1/,
      );
    } finally {
      await http.close();
    }
  });

  it("reads limit as a positive integer, capped at what is kept", async () => {
    const q = (text: string) => new URLSearchParams(text);
    expect(queryLimit(q(""), 100, 500)).toBe(100);
    expect(queryLimit(q("limit=7"), 100, 500)).toBe(7);
    expect(queryLimit(q("limit=9000"), 100, 500)).toBe(500);
    for (const bad of ["limit=0", "limit=-3", "limit=abc", "limit=1.5", "limit="])
      expect(() => queryLimit(q(bad), 100, 500)).toThrow(/limit must be a positive integer/);
  });
});
