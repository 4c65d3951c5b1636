import { createServer, request } from "node:http";
import { connect } from "node:net";
import { DLQ_HEADERS, encodeEvent, MemoryBus, type Bus, type BusRecord } from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReadSideAlertSource } from "../src/alerts";
import { gatewayConfig } from "../src/config";
import { startLocalGateway, type LocalGateway } from "../src/local/adapter";
import { httpApiEvent, mskEvent } from "../src/local/events";
import { CORS_PREFLIGHT, ROUTES } from "../src/http/routes";
import type { Alert, Problem } from "../src/schemas";
import { haltRecord, httpFixture, mskFixture, sample } from "./support/events";
import { HALTING_DRAWDOWN, startInProcessWorkers, type InProcessWorkers } from "./support/workers";
import { until } from "@tickflow/test-support";

let workers: InProcessWorkers;
let gateway: LocalGateway;
const metrics = new PrometheusMetrics({ service: "gateway" });

beforeAll(async () => {
  workers = await startInProcessWorkers({ maxDrawdown: HALTING_DRAWDOWN });
  gateway = await startLocalGateway({
    config: gatewayConfig({
      GATEWAY_PORT: "0",
      MARKET_DATA_URL: workers.marketDataUrl,
      STRATEGY_URL: workers.strategyUrl,
      DATABASE_URL: workers.databaseUrl,
      LOG_LEVEL: "silent",
    }),
    bus: workers.bus,
    metrics,
    logger: pino({ level: "silent" }),
  });
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await workers?.stop();
});

describe("the local adapter over HTTP", () => {
  it("serves every route through the route's handler", async () => {
    const paths: Record<string, string> = {
      "/api/quotes/{symbol}": "/api/quotes/BTC-USD",
      "/api/bars/{symbol}": "/api/bars/BTC-USD?interval=1s",
      "/api/strategies/{id}": "/api/strategies/bo",
    };
    // the reads: the command routes have tests of their own
    for (const route of ROUTES.filter((r) => r.method === "GET" && r.path !== "/api/commands/{id}")) {
      const response = await fetch(`${gateway.url}${paths[route.path] ?? route.path}`);
      expect(response.status, route.path).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
    }
    expect(await (await fetch(`${gateway.url}/api/quotes`)).json()).toEqual(
      await (await fetch(`${workers.marketDataUrl}/quotes`)).json(),
    );
  });

  it("decodes path parameters as API Gateway does", async () => {
    const response = await fetch(`${gateway.url}/api/quotes/BTC%2DUSD?limit=1`);

    expect(response.status).toBe(200);
    expect(((await response.json()) as { quote: { symbol: string } }).quote.symbol).toBe("BTC-USD");
  });

  it("answers an unknown path with 404 route-not-found and another method with 405 and Allow", async () => {
    const missing = await fetch(`${gateway.url}/api/nothing-here`);
    const post = await fetch(`${gateway.url}/api/quotes`, { method: "POST", body: "{}" });

    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(((await missing.json()) as Problem).code).toBe("route-not-found");
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    expect(((await post.json()) as Problem).code).toBe("method-not-allowed");
  });

  it("answers an unknown path through the $default route's handler: 404 problem+json a dashboard can read", async () => {
    const response = await fetch(`${gateway.url}/api/nothing-here`, { headers: { origin: "http://127.0.0.1:8080" } });

    expect(response.status).toBe(404);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8080");
    expect(await response.json()).toMatchObject({
      code: "route-not-found",
      detail: "no route for GET /api/nothing-here",
      instance: "/api/nothing-here",
    });
  });

  it("answers a request target that is no valid URL with 400 invalid-request, never a 500", async () => {
    // fetch and node:http cannot send this: an absolute-form target whose host does not parse
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(gateway.port, "127.0.0.1", () =>
        socket.end("GET http://[bad/api/quotes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    const [head] = raw.split("\r\n\r\n") as [string];
    // the one JSON document in the (possibly chunked) body
    const body = /\{.*\}/s.exec(raw.slice(head.length))?.[0] ?? "";

    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.toLowerCase()).toContain("content-type: application/problem+json");
    expect(JSON.parse(body)).toMatchObject({ status: 400, code: "invalid-request" });
    expect(
      await sample(metrics, "tickflow_http_requests_total", { route: "unmatched", status: "500" }),
    ).toBeUndefined();
  });

  it("answers a CORS preflight from the dashboard as API Gateway does: 204 with the Api stack's allow-* headers", async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${gateway.url}${path}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "accept" },
      });

    const allowed = await preflight("/api/quotes/AAPL", "http://localhost:8080");
    const foreign = await preflight("/api/quotes", "https://evil.example");

    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:8080");
    expect(allowed.headers.get("access-control-allow-methods")).toBe(CORS_PREFLIGHT.allowMethods.join(","));
    expect(allowed.headers.get("access-control-allow-headers")).toBe(CORS_PREFLIGHT.allowHeaders.join(","));
    expect(allowed.headers.get("access-control-max-age")).toBe("86400");
    // the browser refuses the request: no allow-origin for an origin outside CORS_ORIGINS
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers an OPTIONS that is no preflight like any other method the route does not take", async () => {
    const response = await fetch(`${gateway.url}/api/quotes`, { method: "OPTIONS" });

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });

  it("serves Prometheus metrics with requests counted by route pattern", async () => {
    await fetch(`${gateway.url}/api/strategies/sma`);

    const response = await fetch(`${gateway.url}/metrics`);
    const text = await response.text();

    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(text).toMatch(
      /tickflow_http_requests_total\{route="\/api\/strategies\/\{id\}",method="GET",status="200",service="gateway"\} \d+/,
    );
    expect(text).toMatch(
      /tickflow_http_requests_total\{route="unmatched",method="GET",status="404",service="gateway"\} \d+/,
    );
    expect(text).toContain('tickflow_up{service="gateway"} 1');
  });
});

describe("tickflow_up", () => {
  it("is 1 while the risk/alerts consumer runs and 0 once it has failed, read at scrape time", async () => {
    // Prepare: a bus whose consumer subscription fails when the test says so
    const memory = new MemoryBus();
    let fail!: (error: Error) => void;
    const failure = new Promise<never>((_, reject) => (fail = reject));
    const bus: Bus = new Proxy(memory, {
      get(target, property) {
        if (property === "subscribe") {
          return async (...args: Parameters<Bus["subscribe"]>) => {
            const subscription = await target.subscribe(...args);
            return { stop: () => subscription.stop(), done: Promise.race([subscription.done, failure]) };
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const own = new PrometheusMetrics({ service: "gateway" });
    const local = await startLocalGateway({
      config: gatewayConfig({ GATEWAY_PORT: "0", LOG_LEVEL: "silent" }),
      bus,
      metrics: own,
      logger: pino({ level: "silent" }),
    });
    const up = async () =>
      (await (await fetch(`${local.url}/metrics`)).text()).match(/^tickflow_up\{service="gateway"\} (\d+)$/m)?.[1];
    try {
      expect(await up()).toBe("1");

      // Act
      fail(new Error("the broker went away for good"));
      await local.done.catch(() => {});

      // Assess
      expect(await up()).toBe("0");
    } finally {
      await local.stop();
      await memory.close();
    }
  });
});

describe("the events the adapter builds", () => {
  it("have the shape of the recorded HTTP API event: lower-case headers, repeated values joined, cookies apart", async () => {
    const route = ROUTES.find((r) => r.handler === "quote")!;
    const server = createServer((req, res) => {
      const url = new URL(req.url!, "http://localhost");
      res.end(JSON.stringify(httpApiEvent(req, url, route, { symbol: "BTC%2DUSD" })));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      // node:http sends an array value as repeated header lines (fetch would merge them)
      const event = await new Promise<APIGatewayProxyEventV2>((resolve, reject) => {
        const req = request(
          `http://127.0.0.1:${port}/api/quotes/BTC%2DUSD?limit=5&tag=a&tag=b`,
          { headers: { "X-Trace": ["one", "two"], Cookie: "a=1; b=2", Origin: "http://localhost:8080" } },
          (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => (body += chunk.toString()));
            res.on("end", () => resolve(JSON.parse(body) as APIGatewayProxyEventV2));
          },
        );
        req.on("error", reject);
        req.end();
      });
      const recorded = httpFixture("http-api-quote.json");

      expect(Object.keys(event).sort()).toEqual([...Object.keys(recorded), "cookies"].sort());
      expect(Object.keys(event.requestContext).sort()).toEqual(Object.keys(recorded.requestContext).sort());
      expect(event).toMatchObject({
        version: "2.0",
        routeKey: "GET /api/quotes/{symbol}",
        rawPath: "/api/quotes/BTC-USD",
        rawQueryString: "limit=5&tag=a&tag=b",
        cookies: ["a=1", "b=2"],
        queryStringParameters: { limit: "5", tag: "a,b" },
        pathParameters: { symbol: "BTC-USD" },
        isBase64Encoded: false,
        requestContext: {
          routeKey: "GET /api/quotes/{symbol}",
          stage: "$default",
          http: { method: "GET", path: "/api/quotes/BTC-USD", protocol: "HTTP/1.1" },
        },
      });
      expect(event.headers).toMatchObject({ "x-trace": "one,two", origin: "http://localhost:8080" });
      expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
      expect(event.headers.cookie).toBeUndefined();
      expect(event.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("turn bus records into the recorded MSK event's shape: base64 key and value, byte headers", () => {
    const records: BusRecord[] = [
      {
        topic: "orders",
        partition: 2,
        offset: "33",
        key: "bo",
        value: Buffer.from("{not json"),
        headers: { "x-origin": "replayer" },
        timestamp: 1772461867001,
      },
    ];

    const event = mskEvent(records, "strategy.orders.v1", {
      clusterArn: "arn:aws:kafka:local:000000000000:cluster/tickflow-local/local",
      bootstrapServers: "127.0.0.1:9092",
    });

    expect(event.records["strategy.orders.v1-2"]).toEqual(mskFixture().records["strategy.orders.v1-2"]!.slice(0, 1));
    expect(Object.keys(event).sort()).toEqual(Object.keys(mskFixture()).sort());
  });
});

describe("the local risk/alerts consumer", () => {
  it("serves the halts it read from the bus: the same alerts the AWS source derives from the read side", async () => {
    const aws = new ReadSideAlertSource(workers.readSide);
    const expected = await aws.recent(500);
    expect(expected.length).toBeGreaterThan(0);

    const local = await until(
      "the consumer to read every halt",
      async () => {
        const alerts = (await (await fetch(`${gateway.url}/api/alerts?limit=500`)).json()) as Alert[];
        return alerts.length === expected.length ? alerts : false;
      },
      10_000,
    );

    expect(local).toEqual(expected);
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "risk.halted" })).toBe(expected.length);
    expect(await sample(metrics, "tickflow_alerts_sent_total", { channel: "memory" })).toBeGreaterThan(0);
  });

  it("alerts for a new halt published to strategy.risk.v1", async () => {
    const publisher = await workers.bus.publisher();
    const tsEvent = Date.UTC(2026, 2, 2, 16, 0);
    await publisher.publish([{ topic: "risk", key: "sma", value: haltRecord("sma", tsEvent) }]);
    await publisher.close();

    const alert = await until(
      "the new alert",
      async () => {
        const alerts = (await (await fetch(`${gateway.url}/api/alerts?limit=1`)).json()) as Alert[];
        return alerts[0]?.id === `sma:${tsEvent}` ? alerts[0] : false;
      },
      10_000,
    );

    expect(alert.message).toBe(
      "Strategy sma halted: drawdown 1.20% reached its 1.00% limit (equity 98,800.00, peak 100,000.00)",
    );
  });

  it("dead-letters each record that cannot decode at once with its decode reason and error, then handles the rest of the partition", async () => {
    const publisher = await workers.bus.publisher();
    const t = Date.UTC(2026, 2, 2, 16, 5);
    const rejected = {
      orderId: "zz:AAPL:o1",
      strategyId: "zz",
      symbol: "AAPL",
      side: "buy" as const,
      quantity: 1,
      reason: "max-position" as const,
      detail: "test",
      signalId: "zz:AAPL:s1",
      tsEvent: t,
      tsInit: t,
    };
    const rejectedBefore = (await sample(metrics, "tickflow_risk_events_total", { type: "order.rejected" })) ?? 0;
    const undecodableBefore = (await sample(metrics, "tickflow_risk_events_total", { type: "undecodable" })) ?? 0;
    await publisher.publish([
      { topic: "orders", key: "zz", value: Buffer.from("{this is not an event") },
      { topic: "orders", key: "zz", value: Buffer.from("{nor is this") },
      {
        topic: "orders",
        key: "zz",
        value: encodeEvent({ type: "order.rejected", id: "zz:AAPL:o1:rejected", ts: t, data: rejected }, "test"),
      },
    ]);
    await publisher.close();

    // two consumers read strategy.orders.v1 here, this gateway's and the projector: each dead-letters both
    const dead = await until(
      "both dead letters from both consumers",
      async () => {
        const records = (await workers.bus.readTail("dlq", 10)).filter((r) => r.key === "zz");
        return records.length === 4 ? records : false;
      },
      20_000,
    );

    expect(dead.map((r) => r.value?.toString()).sort()).toEqual([
      "{nor is this",
      "{nor is this",
      "{this is not an event",
      "{this is not an event",
    ]);
    for (const letter of dead) {
      expect(letter.headers[DLQ_HEADERS.sourceTopic]).toBe("strategy.orders.v1");
      expect(letter.headers[DLQ_HEADERS.reason]).toBe("invalid-json");
      expect(letter.headers[DLQ_HEADERS.error]).toMatch(/^not JSON: /);
    }
    expect(
      await sample(metrics, "tickflow_dlq_messages_total", { topic: "strategy.orders.v1", reason: "invalid-json" }),
    ).toBe(2);
    expect(
      await sample(metrics, "tickflow_dlq_messages_total", { topic: "strategy.orders.v1", reason: "consumer-failed" }),
    ).toBeUndefined();
    await until(
      "the record after it",
      async () =>
        (await sample(metrics, "tickflow_risk_events_total", { type: "order.rejected" })) === rejectedBefore + 1,
      10_000,
    );
    // counted once per record, not once per attempt
    expect(await sample(metrics, "tickflow_risk_events_total", { type: "undecodable" })).toBe(undecodableBefore + 2);
  });
});
