import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { startStaticServer } from "../src/up/static-server";

/**
 * The dashboard's server forwards the stream (/api/stream, a WebSocket) to the gateway, so the
 * page opens it on its own origin as it calls the API: a stand-in gateway that greets each
 * client, echoes what it gets and refuses `?deny`.
 */
let dist: string;
let gateway: Server;
let wss: WebSocketServer;
let web: Awaited<ReturnType<typeof startStaticServer>>;
const origins: (string | undefined)[] = [];

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), "tickflow-web-"));
  writeFileSync(join(dist, "index.html"), "<!doctype html>");
  gateway = createServer((_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({
    server: gateway,
    path: "/api/stream",
    verifyClient: ({ req }, done) => {
      origins.push(req.headers.origin);
      if (req.url?.includes("deny")) done(false, 401, "Unauthorized");
      else done(true);
    },
  });
  wss.on("connection", (ws, req) => {
    ws.send(`hello ${req.url}`);
    ws.on("message", (data: Buffer) => ws.send(`echo ${data.toString("utf8")}`));
  });
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  web = await startStaticServer({
    root: dist,
    port: 0,
    host: "127.0.0.1",
    apiOrigin: `http://127.0.0.1:${(gateway.address() as { port: number }).port}`,
  });
});

afterAll(async () => {
  await web?.close();
  wss?.close();
  await new Promise((resolve) => gateway?.close(resolve));
  rmSync(dist, { recursive: true, force: true });
});

const open = (path: string) => {
  const ws = new WebSocket(`ws://127.0.0.1:${web.port}${path}`, { origin: `http://127.0.0.1:${web.port}` });
  const messages: string[] = [];
  ws.on("message", (data: Buffer) => messages.push(data.toString("utf8")));
  return { ws, messages };
};

describe("the dashboard's server and the stream", () => {
  it("forwards /api/stream upgrades both ways, with the query and the origin", async () => {
    const { ws, messages } = open("/api/stream?channels=quotes");
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    ws.send("ping");
    await expect.poll(() => messages).toEqual(["hello /api/stream?channels=quotes", "echo ping"]);
    expect(origins.at(-1)).toBe(`http://127.0.0.1:${web.port}`);
    const closed = new Promise<number>((resolve) => ws.on("close", resolve));
    ws.close(1000);
    expect(await closed).toBe(1000);
  });

  it("passes the gateway's refusal through, and refuses upgrades of other paths", async () => {
    const status = (path: string) =>
      new Promise<number>((resolve) => {
        const { ws } = open(path);
        ws.on("error", () => {});
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      });
    expect(await status("/api/stream?deny=1")).toBe(401);
    expect(await status("/api/quotes")).toBe(400);
    expect(await status("/")).toBe(400);
  });
});
