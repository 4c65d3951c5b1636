import { encodeEvent, type Bus, type OutgoingRecord } from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { WebSocket } from "ws";
import { gatewayConfig } from "../../src/config";
import { startLocalGateway, type LocalGateway } from "../../src/local/adapter";
import { STREAM_PATH, StreamMessageSchema, type StreamMessage } from "../../src/stream-schema";

/** When the stream suites' events happen: order n at START + n. */
export const START = Date.UTC(2026, 2, 2, 17, 0);

/**
 * The n-th `order.accepted` of strategy `strategyId`, keyed by the strategy (one partition: in
 * order); `padding` lengthens its id, to make messages large.
 */
export const accepted = (strategyId: string, n: number, padding = ""): OutgoingRecord => ({
  topic: "orders",
  key: strategyId,
  value: encodeEvent(
    {
      type: "order.accepted",
      id: `${strategyId}:accepted:${n}${padding}`,
      ts: START + n,
      data: {
        orderId: `${strategyId}:AAPL:${n}`,
        strategyId,
        symbol: "AAPL",
        side: "buy",
        tsEvent: START + n,
        tsInit: START + n,
      },
    },
    "test",
  ),
});

/** A local gateway on `bus`, on a free port and silent, with `env` on top of its defaults. */
export const startStreamGateway = (bus: Bus, env: Record<string, string> = {}): Promise<LocalGateway> =>
  startLocalGateway({
    config: gatewayConfig({ GATEWAY_PORT: "0", LOG_LEVEL: "silent", ...env }),
    bus,
    metrics: new PrometheusMetrics({ service: "gateway" }),
    logger: pino({ level: "silent" }),
  });

/** The stream's WebSocket URL on a gateway at `baseUrl` (http://host:port). */
export const streamUrl = (baseUrl: string) => `${baseUrl.replace(/^http/, "ws")}${STREAM_PATH}`;

/** A stream client for tests: every message parsed with the stream schema, in arrival order. */
export interface TestStreamClient {
  ws: WebSocket;
  messages: StreamMessage[];
  /** Resolves with the close code and reason once the connection has closed. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function connectStream(
  baseUrl: string,
  query = "",
  headers: Record<string, string> = {},
): Promise<TestStreamClient> {
  const ws = new WebSocket(`${streamUrl(baseUrl)}${query ? `?${query}` : ""}`, { headers });
  const messages: StreamMessage[] = [];
  ws.on("message", (raw: Buffer) => messages.push(StreamMessageSchema.parse(JSON.parse(raw.toString("utf8")))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    closed,
    close: async () => {
      ws.close();
      await closed;
    },
  };
}

/** The status and problem code a refused upgrade is answered with. */
export function refusedUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on("open", () => {
      ws.terminate();
      reject(new Error(`${url} was upgraded`));
    });
    ws.on("error", () => {});
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
  });
}
