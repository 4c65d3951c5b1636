import { open, type FileHandle } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import type { Socket } from "node:net";
import { pipeline, type Duplex } from "node:stream";
import {
  createGuardedServer,
  dashboardSecurityHeaders,
  listen,
  problemDocument,
  requestTarget,
  sendProblem,
  type HttpLimits,
} from "@tickflow/runtime";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/** The dashboard calls its own origin here (/api is forwarded), so its CSP names no other. */
export const DASHBOARD_SECURITY_HEADERS = dashboardSecurityHeaders();

/** Headers of one connection (RFC 9110 7.6.1), never forwarded; `expect` is answered by each hop itself, `host` is the gateway's. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "host",
]);

/** The end-to-end headers of a message: hop-by-hop ones and those its Connection header names left out. */
function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((token) => token.trim().toLowerCase()),
  );
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) kept[name] = value;
  return kept;
}

export interface StaticServerOptions {
  root: string;
  port: number;
  host: string;
  apiOrigin: string;
  /** How long the gateway may stay silent on a forwarded request before it is answered 503 (default 30 s, API Gateway's integration limit). */
  upstreamTimeoutMs?: number;
  limits?: Partial<HttpLimits>;
  /** A failure no request path handled (a bug); the default writes one line to stderr. */
  onError?(error: unknown, req?: IncomingMessage): void;
}

/**
 * Serves the built dashboard and forwards /api to the gateway, so the page calls its own origin
 * (as it does behind CloudFront on AWS) and needs no CORS locally. Unknown paths get index.html:
 * the app routes on the client. It runs inside the `tickflow up` supervisor, so no request may
 * end its process: the server is a guarded one (see createGuardedServer), files and forwarded
 * answers are streamed with their errors handled, and a client that goes away cancels its work.
 */
export async function startStaticServer(
  options: StaticServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const api = new URL(options.apiOrigin);
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const report =
    options.onError ??
    ((error: unknown, req?: IncomingMessage) =>
      process.stderr.write(`web        | request ${req?.method ?? ""} ${req?.url ?? ""} failed: ${String(error)}\n`));
  const problem = (
    res: ServerResponse,
    status: number,
    code: string,
    detail: string,
    headers: Record<string, string> = {},
  ) => sendProblem(res, problemDocument(status, code, detail), headers);

  const forward = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const upstream = httpRequest({
      hostname: api.hostname,
      port: api.port,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: { ...endToEnd(req.headers), host: api.host },
    });
    let answered = false;
    upstream.on("response", (answer) => {
      answered = true;
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      // a gateway that breaks off its answer: the client's is cut as well (it cannot get a status any more)
      pipeline(answer, res, () => {});
    });
    upstream.setTimeout(upstreamTimeoutMs, () =>
      upstream.destroy(Object.assign(new Error(`no answer within ${upstreamTimeoutMs} ms`), { code: "ETIMEDOUT" })),
    );
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (answered || res.headersSent) return void res.destroy();
      const detail =
        error.code === "ETIMEDOUT"
          ? `no answer from ${options.apiOrigin} within ${upstreamTimeoutMs} ms`
          : `no answer from ${options.apiOrigin}`;
      problem(res, 503, "gateway-unavailable", detail, { "retry-after": "1" });
    });
    // a client that goes away cancels the forwarded request
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    // the gateway sees the request at once, not with the first byte of a body that may never come
    upstream.flushHeaders();
    pipeline(req, upstream, () => {});
  };

  /** The file a path names inside the root, or index.html; undefined when even that cannot be opened. */
  const fileFor = async (decoded: string): Promise<{ path: string; handle: FileHandle; size: number } | undefined> => {
    const path = normalize(join(options.root, decoded));
    const candidates = path.startsWith(options.root + sep)
      ? [path, join(options.root, "index.html")]
      : [join(options.root, "index.html")];
    for (const candidate of candidates) {
      const handle = await open(candidate, "r").catch(() => undefined);
      if (!handle) continue;
      const stats = await handle.stat().catch(() => undefined);
      if (stats?.isFile()) return { path: candidate, handle, size: stats.size };
      await handle.close().catch(() => {});
    }
    return undefined;
  };

  const serveFile = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method !== "GET" && req.method !== "HEAD")
      return problem(res, 405, "method-not-allowed", `${req.method} is not allowed on ${url.pathname}`, {
        allow: "GET, HEAD",
      });
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      return problem(res, 400, "invalid-path", "the path is not valid percent-encoding");
    }
    if (decoded.includes("\0")) return problem(res, 400, "invalid-path", "the path holds a NUL byte");
    const file = await fileFor(decoded);
    if (!file) return problem(res, 404, "not-found", "the dashboard is not built");
    // the client may have gone while the file was opened
    if (res.destroyed) return void (await file.handle.close().catch(() => {}));
    const immutable = file.path.startsWith(join(options.root, "assets") + sep);
    res.writeHead(200, {
      "content-type": TYPES[extname(file.path)] ?? "application/octet-stream",
      "content-length": String(file.size),
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    if (req.method === "HEAD") {
      res.end();
      return void (await file.handle.close().catch(() => {}));
    }
    // a read that fails half-way (or a client that leaves) cuts the response; the stream closes the file either way
    pipeline(file.handle.createReadStream(), res, (error) => {
      if (error && !res.destroyed) res.destroy();
    });
  };

  const server = createGuardedServer(
    async (req, res) => {
      const url = requestTarget(req.url);
      if (!url) return problem(res, 400, "invalid-request", "the request target is not a valid URL");
      if (url.pathname.startsWith("/api/")) return forward(req, res, url);
      await serveFile(req, res, url);
    },
    { headers: DASHBOARD_SECURITY_HEADERS, limits: options.limits, onError: report },
  );
  /**
   * The stream (/api/stream, a WebSocket) is forwarded as an upgrade: the request with its
   * upgrade headers, then the gateway's 101 and both sockets piped together; a refusal (401, 403,
   * 400) goes back as it came. Any other upgrade is refused here.
   */
  const tunnels = new Set<Duplex>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = requestTarget(req.url);
    if (!url || url.pathname !== "/api/stream") {
      const body = JSON.stringify(problemDocument(400, "invalid-request", "only /api/stream takes an upgrade"));
      return void socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && name !== "host") headers[name] = value;
    const upstream = httpRequest({
      hostname: api.hostname,
      port: api.port,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: { ...headers, host: api.host },
    });
    const status = (code: number, message: string, answer: IncomingHttpHeaders | Record<string, string>) => {
      const lines = [`HTTP/1.1 ${code} ${message}`];
      for (const [name, value] of Object.entries(answer))
        for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) lines.push(`${name}: ${v}`);
      return `${lines.join("\r\n")}\r\n\r\n`;
    };
    upstream.on("upgrade", (answer, gateway: Socket, gatewayHead: Buffer) => {
      gateway.on("error", () => gateway.destroy());
      if (socket.destroyed) return void gateway.destroy();
      socket.write(status(101, "Switching Protocols", answer.headers));
      if (gatewayHead.length > 0) socket.write(gatewayHead);
      if (head.length > 0) gateway.write(head);
      tunnels.add(socket);
      socket.on("close", () => {
        tunnels.delete(socket);
        gateway.destroy();
      });
      gateway.on("close", () => socket.destroy());
      gateway.pipe(socket);
      socket.pipe(gateway);
    });
    upstream.on("response", (answer) => {
      // refused: the gateway's answer, whole, then the socket ends
      socket.write(status(answer.statusCode ?? 502, answer.statusMessage ?? "", answer.headers));
      pipeline(answer, socket, () => socket.destroy());
    });
    upstream.setTimeout(upstreamTimeoutMs, () => upstream.destroy());
    upstream.on("error", () => {
      if (socket.destroyed) return;
      const body = JSON.stringify(problemDocument(503, "gateway-unavailable", `no answer from ${options.apiOrigin}`));
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
    upstream.end();
  });
  const { port, close } = await listen(server, options.port, options.host);
  return {
    port,
    // upgraded sockets are no longer the HTTP server's: closing it does not end them
    close: async () => {
      for (const tunnel of tunnels) tunnel.destroy();
      await close();
    },
  };
}
