import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Bus } from "@tickflow/bus";
import { type Metrics } from "@tickflow/metrics";
import {
  API_SECURITY_HEADERS,
  createGuardedServer,
  HttpProblem,
  listen,
  recordRequest,
  requestTarget,
  UNMATCHED_ROUTE,
  type HttpLimits,
} from "@tickflow/runtime";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Logger } from "pino";
import { AlertStore } from "../alerts";
import type { GatewayConfig } from "../config";
import { createGatewayDeps, type ConsumerHealthSource } from "../http/deps";
import { busCommandSink } from "../commands";
import { MAX_BODY_BYTES, type HttpHandler } from "../http/endpoint";
import { ENDPOINTS } from "../http/endpoints";
import { createNotFound } from "../http/handlers/not-found";
import { problemResponse } from "../http/problem";
import { CORS_PREFLIGHT, DEFAULT_ROUTE_KEY, ROUTER, type HandlerName } from "../http/routes";
import { snsChannel, StoreChannel, type AlertChannel } from "../risk-consumer/channels";
import { createRiskConsumer } from "../risk-consumer/handler";
import { RunningStrategies } from "../risk-consumer/strategies";
import { httpApiEvent, lambdaContext } from "./events";
import { startLocalRiskConsumer, type LocalRiskConsumer, type LocalRiskConsumerOptions } from "./risk-consumer";
import { STREAM_PATH } from "../stream-schema";
import { startLocalStream, type LocalStream, type LocalStreamOptions } from "./stream";

export interface LocalGatewayOptions {
  config: GatewayConfig;
  /** Where the local risk/alerts consumer reads strategy.risk.v1 and strategy.orders.v1. */
  bus: Bus;
  /** Prometheus locally: served on /metrics. */
  metrics: Metrics;
  logger: Logger;
  /** The risk/alerts consumer's retry, time-budget and health settings (tests shorten them). */
  riskConsumer?: Pick<
    LocalRiskConsumerOptions,
    "maxAttempts" | "retryDelayMs" | "invocationSize" | "batchBudgetMs" | "lagIntervalMs" | "stallAfterMs"
  >;
  /** Request time and size bounds of the HTTP server (tests shorten them). */
  http?: Partial<HttpLimits>;
  /** The stream's clock and first position (tests set them). */
  stream?: Pick<LocalStreamOptions, "clock" | "seqBase">;
}

export interface LocalGateway {
  port: number;
  /** http://host:port */
  url: string;
  /** The stream at /api/stream. */
  stream: LocalStream;
  /** Rejects if the risk/alerts consumer or the stream's consumer fails for good (crash-only: the process should exit). */
  done: Promise<void>;
  /** Stops taking requests, closes the stream's clients, stops the consumers (the risk consumer's batch in flight finishes and commits). */
  stop(): Promise<void>;
}

/** API Gateway's limit for an HTTP API integration: the deadline each local invocation gets. */
const INTEGRATION_TIMEOUT_MS = 30_000;

/** The request body as text, at most `limit` bytes of it (the rest is read and dropped, so the connection stays usable). */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size >= limit) continue;
    chunks.push(chunk.subarray(0, limit - size));
    size += Math.min(chunk.length, limit - size);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body ?? "");
}

/**
 * The gateway on this machine: a Node HTTP server that turns each request into the payload-2.0
 * event API Gateway would send and invokes the same middy handler a Lambda runs (one code path
 * locally and on AWS): a route's handler, or the `$default` route's for a request no route takes.
 * It answers CORS preflights as API Gateway does, and serves /metrics for Prometheus; beside it
 * runs the risk/alerts consumer fed from Kafka.
 * Alerts go to memory (served at /api/alerts) and to SNS when ALERTS_TOPIC_ARN is set.
 */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const { config, bus, metrics, logger } = options;
  const store = new AlertStore();
  const channels: AlertChannel[] = [
    new StoreChannel(store),
    ...(config.ALERTS_TOPIC_ARN ? [snsChannel(config.ALERTS_TOPIC_ARN)] : []),
  ];
  // /api/health reports the risk/alerts consumer once it runs (it starts after the server)
  const consumers: ConsumerHealthSource[] = [];
  const commands = busCommandSink(bus);
  const deps = createGatewayDeps({ config, metrics, logger, alerts: store, consumers, commands });
  const handlers = Object.fromEntries(
    Object.values(ENDPOINTS).map((endpoint) => [endpoint.name, endpoint.create(deps)]),
  ) as Record<HandlerName, HttpHandler>;
  // API Gateway's `$default` route: the same handler answers what no route takes, here and on AWS
  const notFound = createNotFound(deps);

  // what the adapter answers without a handler (a target that does not parse, which API Gateway
  // refuses itself, and /metrics, which is local only); counted like any request
  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    started: bigint,
    route: string,
    problem: HttpProblem,
    instance?: string,
  ) => {
    send(res, problemResponse(problem, instance));
    recordRequest(metrics, { route, method: req.method ?? "GET", status: problem.status, started });
  };

  /**
   * A CORS preflight, which API Gateway answers itself from the Api stack's CORS configuration:
   * 204, with the allow-* headers when the origin is one of CORS_ORIGINS (without them the
   * browser refuses the request, as it should).
   */
  const preflight = (req: IncomingMessage, res: ServerResponse, started: bigint, route: string) => {
    const origin = req.headers.origin!;
    const allowed = config.CORS_ORIGINS.includes("*") || config.CORS_ORIGINS.includes(origin);
    const headers: Record<string, string> = { vary: "origin" };
    if (allowed) {
      headers["access-control-allow-origin"] = config.CORS_ORIGINS.includes("*") ? "*" : origin;
      headers["access-control-allow-methods"] = CORS_PREFLIGHT.allowMethods.join(",");
      headers["access-control-allow-headers"] = CORS_PREFLIGHT.allowHeaders.join(",");
      headers["access-control-max-age"] = String(CORS_PREFLIGHT.maxAgeSeconds);
    }
    send(res, { statusCode: 204, headers });
    recordRequest(metrics, { route, method: "OPTIONS", status: 204, started });
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = requestTarget(req.url);
    // a target that does not parse (GET //[x, GET http://[bad/api/quotes): bad input, never a 500
    if (!url)
      return answer(
        req,
        res,
        started,
        UNMATCHED_ROUTE,
        new HttpProblem(400, "invalid-request", "the request target is not a valid URL"),
      );
    const method = req.method ?? "GET";
    // the stream is a WebSocket: a plain request is told to upgrade
    if (url.pathname === STREAM_PATH)
      return answer(
        req,
        res,
        started,
        STREAM_PATH,
        new HttpProblem(
          426,
          "upgrade-required",
          `${STREAM_PATH} is a WebSocket: send GET with Upgrade: websocket`,
          {},
          { headers: { upgrade: "websocket", connection: "upgrade" } },
        ),
        url.pathname,
      );
    if (url.pathname === "/metrics") {
      if (method !== "GET")
        return answer(
          req,
          res,
          started,
          "/metrics",
          new HttpProblem(
            405,
            "method-not-allowed",
            `${method} is not allowed on /metrics`,
            {},
            { headers: { allow: "GET" } },
          ),
          url.pathname,
        );
      const { contentType, body } = await metrics.exposition();
      send(res, { statusCode: 200, headers: { "content-type": contentType, "cache-control": "no-store" }, body });
      recordRequest(metrics, { route: "/metrics", method, status: 200, started });
      return;
    }
    const resolved = ROUTER.resolve(method, url.pathname);
    if (
      resolved.kind === "method-not-allowed" &&
      method === "OPTIONS" &&
      req.headers.origin &&
      req.headers["access-control-request-method"]
    )
      return preflight(req, res, started, resolved.paths[0]!.path);
    if (resolved.kind !== "found") {
      send(
        res,
        await notFound(
          httpApiEvent(req, url, DEFAULT_ROUTE_KEY, {}),
          lambdaContext("tickflow-gateway-not-found", INTEGRATION_TIMEOUT_MS),
        ),
      );
      return;
    }
    // API Gateway hands a Lambda the body whole (up to 10 MB); here it is read up to one byte past what a route takes
    const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req, MAX_BODY_BYTES + 1);
    const event = httpApiEvent(req, url, resolved.route, resolved.params, body);
    send(
      res,
      await handlers[resolved.route.handler](
        event,
        lambdaContext(`tickflow-gateway-${resolved.route.handler}`, INTEGRATION_TIMEOUT_MS),
      ),
    );
  };

  // no request can end the process: protocol errors, throws and clients that go away are answered or contained there
  const server = createGuardedServer(
    (req, res) =>
      serve(req, res).catch((error: unknown) => {
        // the handlers answer every error themselves: reaching this is a bug in the adapter
        logger.error({ err: error, url: req.url }, "local adapter failed");
        if (!res.headersSent)
          send(
            res,
            problemResponse(new HttpProblem(500, "internal-error", "unexpected error; see the gateway log"), req.url),
          );
        else res.destroy();
      }),
    {
      headers: API_SECURITY_HEADERS,
      limits: options.http,
      onError: (error, req) => logger.error({ err: error, url: req?.url }, "local adapter failed"),
    },
  );
  // WebSocket upgrades: the stream takes /api/stream and answers every other one
  let stream: LocalStream | undefined;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (stream) return stream.handleUpgrade(req, socket, head);
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  const { port, close: closeServer } = await listen(server, config.GATEWAY_PORT, config.GATEWAY_HOST);

  let consumer: LocalRiskConsumer;
  try {
    // halts of strategies the strategy worker does not run are refused, live and when priming
    const strategies = new RunningStrategies(deps.strategy);
    consumer = await startLocalRiskConsumer({
      ...options.riskConsumer,
      bus,
      groupId: config.ALERTS_GROUP_ID,
      // the local consumer reads batchItemFailures and each record's failure: it retries and dead-letters single records
      createHandler: (onRecordFailure) =>
        createRiskConsumer({ metrics, logger, channels, strategies, partialBatchResponses: true, onRecordFailure }),
      strategies,
      store,
      metrics,
      logger,
    });
    consumers.push(consumer);
  } catch (error) {
    await closeServer();
    throw error;
  }
  try {
    stream = await startLocalStream({ ...options.stream, bus, config, auth: deps.auth, logger, metrics });
    consumers.push(stream);
  } catch (error) {
    await closeServer();
    await consumer.stop();
    throw error;
  }
  const running = stream;
  // tickflow_up is the gateway's own health, read at scrape time: 1 while the risk/alerts consumer
  // runs, 0 once it has stopped or failed (the HTTP side is up whenever there is a scrape to answer)
  let consuming = true;
  consumer.done.then(
    () => (consuming = false),
    // crash-only, but reported once: an unobserved rejection must not take down a caller that only awaits stop()
    (error: unknown) => {
      consuming = false;
      logger.fatal({ err: error }, "the risk/alerts consumer stopped");
    },
  );
  running.done.then(
    () => {},
    (error: unknown) => {
      consuming = false;
      logger.fatal({ err: error }, "the stream's consumer stopped");
    },
  );
  metrics.onCollect(() => metrics.set("tickflow_up", {}, consuming ? 1 : 0));

  const url = `http://${config.GATEWAY_HOST.includes(":") ? `[${config.GATEWAY_HOST}]` : config.GATEWAY_HOST}:${port}`;
  logger.info(
    { url, bus: bus.description, alertChannels: channels.map((c) => c.name), group: config.ALERTS_GROUP_ID },
    "gateway started",
  );
  return {
    port,
    url,
    stream: running,
    done: Promise.all([consumer.done, running.done]).then(() => {}),
    stop: async () => {
      consuming = false;
      await running.stop();
      await closeServer();
      await consumer.stop();
      await commands.close();
      // the read side's connections: a database that stops after the gateway must find none open
      await deps.readSide?.db.destroy();
      logger.info("gateway stopped");
    },
  };
}
