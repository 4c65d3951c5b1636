import { WebSocket } from "ws";
import { StreamMessageSchema, type StreamMessage } from "../../src/stream-schema";

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
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/api/stream${query ? `?${query}` : ""}`, { headers });
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
