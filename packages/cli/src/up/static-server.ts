import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";

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

/**
 * Serves the built dashboard and forwards /api to the gateway, so the page calls its own origin
 * (as it does behind CloudFront on AWS) and needs no CORS locally. Unknown paths get index.html:
 * the app routes on the client.
 */
export async function startStaticServer(options: { root: string; port: number; host: string; apiOrigin: string }): Promise<{ close(): Promise<void> }> {
  const api = new URL(options.apiOrigin);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/api/")) {
      const upstream = httpRequest(
        { hostname: api.hostname, port: api.port, path: `${url.pathname}${url.search}`, method: req.method, headers: { ...req.headers, host: api.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => {
        // once the gateway's answer has begun there is no status left to send: cut the response
        if (res.headersSent) return void res.destroy();
        res.writeHead(503, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ type: "about:blank", title: "Gateway unavailable", status: 503, code: "gateway-unavailable", detail: `no answer from ${options.apiOrigin}` }));
      });
      req.pipe(upstream);
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      return void res.end("bad path: not valid percent-encoding");
    }
    void (async () => {
      const path = normalize(join(options.root, decoded));
      const inside = path === options.root || path.startsWith(options.root + sep);
      const file = inside && (await stat(path).catch(() => null))?.isFile() ? path : join(options.root, "index.html");
      const immutable = file.includes(`${sep}assets${sep}`);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" });
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
