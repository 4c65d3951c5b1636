import fc from "fast-check";
import { connect } from "node:net";

/**
 * Hostile HTTP/1.1 requests, sent over a raw socket as an attacker would (fetch and node:http
 * cannot send most of them), and the answers read back. The hostile-input tests hold every
 * Tickflow server to them; the soak runs them under load. A server passes when it answers each
 * with a status below 500 (or closes the connection), and still answers /health afterwards.
 */

/** One answer read off the socket. */
export interface RawAnswer {
  status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  answers: RawAnswer[];
  /** The server closed the connection (rather than the probe giving up waiting). */
  closed: boolean;
  /** Milliseconds from connect to the end of the exchange. */
  elapsedMs: number;
}

export interface RawExchangeOptions {
  host?: string;
  /** Give up (and close) after this long; the default is 5 s. */
  timeoutMs?: number;
  /** Stop as soon as this many answers are complete, instead of waiting for the server to close. */
  answers?: number;
  /** The requests are HEAD: an answer's content-length announces no body. */
  head?: boolean;
}

/** The complete answers at the start of `data` (1xx interim answers included). */
export function parseAnswers(data: Buffer, options: { head?: boolean; closed?: boolean } = {}): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", offset);
    if (end < 0) return answers;
    const [statusLine = "", ...lines] = data.subarray(offset, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!status) return answers;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const code = Number(status[1]);
    let start = end + 4;
    let body: Buffer;
    if (code < 200 || code === 204 || code === 304 || options.head) body = Buffer.alloc(0);
    else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", start);
        if (lineEnd < 0) return answers;
        const size = Number.parseInt(data.subarray(start, lineEnd).toString("latin1"), 16);
        if (!Number.isFinite(size)) return answers;
        if (size === 0) {
          const trailerEnd = data.indexOf("\r\n", lineEnd + 2);
          if (trailerEnd < 0) return answers;
          start = trailerEnd + 2;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) return answers;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        start = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(chunks);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (data.length < start + length) return answers;
      body = data.subarray(start, start + length);
      start += length;
    } else {
      // delimited by the close
      if (!options.closed) return answers;
      body = data.subarray(start);
      start = data.length;
    }
    answers.push({ status: code, headers, body: body.toString("utf8") });
    offset = start;
  }
}

/** Connects to host:port, writes `request` as it is, and reads the answers until the server closes, enough answers arrived, or the timeout. */
export function rawExchange(
  port: number,
  request: string | Buffer,
  options: RawExchangeOptions = {},
): Promise<RawExchange> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const socket = connect(port, options.host ?? "127.0.0.1", () =>
      socket.write(typeof request === "string" ? Buffer.from(request, "latin1") : request),
    );
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        answers: parseAnswers(Buffer.concat(chunks), { head: options.head, closed }),
        closed,
        elapsedMs: Date.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5_000);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (
        options.answers !== undefined &&
        parseAnswers(Buffer.concat(chunks), { head: options.head }).filter((a) => a.status >= 200).length >=
          options.answers
      )
        finish(false);
    });
    // a reset after the answer is the server closing too
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
  });
}

/** A hand-written hostile request. Each ends its connection (Connection: close, or a request the parser refuses), so an exchange needs no answer count. */
export interface HostileRequest {
  name: string;
  request: string | Buffer;
  head?: boolean;
}

const CRLF = "\r\n";
/** A request with a given line and headers, closing the connection after its answer. */
const req = (line: string, ...headers: string[]) =>
  [line, "Host: 127.0.0.1", ...headers, "Connection: close", "", ""].join(CRLF);

/**
 * The hand-written cases: request targets the URL parser refuses or that Node's parser lets
 * through half-broken, control bytes, bad methods and versions, absurd and conflicting headers,
 * bodies where none belong, smuggling shapes, other protocols' first bytes. `path` is a path the
 * server routes (its health check, say), so a case reaches the routing rather than only the 404.
 */
export function hostileRequests(path = "/health"): HostileRequest[] {
  return [
    { name: "a target the URL parser refuses: //[x", request: req("GET //[x HTTP/1.1") },
    { name: "an absolute-form target whose host does not parse", request: req("GET http://[bad/ HTTP/1.1") },
    { name: "an absolute-form target for another host", request: req(`GET http://evil.example${path} HTTP/1.1`) },
    { name: "a scheme-relative target", request: req(`GET //evil.example${path} HTTP/1.1`) },
    { name: "a lone percent", request: req("GET /% HTTP/1.1") },
    { name: "a bad percent escape", request: req("GET /%ZZ HTTP/1.1") },
    { name: "an escape that is no UTF-8", request: req("GET /%E0%A4%A HTTP/1.1") },
    { name: "an encoded NUL in path and query", request: req(`GET ${path}%00?limit=%00&%00=1 HTTP/1.1`) },
    { name: "the asterisk target on GET", request: req("GET * HTTP/1.1") },
    { name: "the asterisk target on OPTIONS", request: req("OPTIONS * HTTP/1.1") },
    { name: "traversal", request: req("GET /../../../../etc/passwd HTTP/1.1") },
    { name: "encoded traversal", request: req("GET /..%2f..%2f..%2fetc%2fpasswd HTTP/1.1") },
    { name: "backslashes", request: req("GET /..\\..\\etc\\passwd HTTP/1.1") },
    { name: "a path of 8 KiB", request: req(`GET /${"a".repeat(8_192)} HTTP/1.1`) },
    { name: "a path of 64 KiB", request: req(`GET /${"a".repeat(65_536)} HTTP/1.1`) },
    {
      name: "a query of 1,000 parameters",
      request: req(`GET ${path}?${Array.from({ length: 1_000 }, (_, i) => `p${i}=${i}`).join("&")} HTTP/1.1`),
    },
    { name: "query garbage", request: req(`GET ${path}?limit=0x10&=&&%%%&a=%ZZ&limit HTTP/1.1`) },
    { name: "a repeated query parameter", request: req(`GET ${path}?limit=1&limit=2 HTTP/1.1`) },
    { name: "a raw NUL in the path", request: req("GET /a\0b HTTP/1.1") },
    { name: "raw control bytes in the path", request: req("GET /a\x01\x1b[31m\x7f HTTP/1.1") },
    { name: "raw bytes above 0x7f in the path", request: req("GET /\x80\xfe\xff HTTP/1.1") },
    { name: "UTF-8 in the path", request: Buffer.from(req("GET /ünïcødé/💥 HTTP/1.1"), "utf8") },
    { name: "a tab in the target", request: req("GET /a\tb HTTP/1.1") },
    { name: "an unknown method", request: req("FOO / HTTP/1.1") },
    { name: "a lower-case method", request: req(`get ${path} HTTP/1.1`) },
    { name: "a method Node knows and no route takes", request: req(`PROPFIND ${path} HTTP/1.1`) },
    { name: "TRACE", request: req(`TRACE ${path} HTTP/1.1`) },
    { name: "DELETE", request: req(`DELETE ${path} HTTP/1.1`) },
    { name: "CONNECT", request: req("CONNECT evil.example:443 HTTP/1.1") },
    { name: "HEAD", request: req(`HEAD ${path} HTTP/1.1`), head: true },
    { name: "an unknown HTTP version", request: req(`GET ${path} HTTP/9.9`) },
    { name: "a broken HTTP version", request: req(`GET ${path} HTTP/1.1x`) },
    { name: "HTTP/0.9", request: `GET ${path}${CRLF}` },
    { name: "HTTP/1.0 without Host", request: `GET ${path} HTTP/1.0${CRLF}${CRLF}` },
    { name: "HTTP/1.1 without Host", request: `GET ${path} HTTP/1.1${CRLF}Connection: close${CRLF}${CRLF}` },
    { name: "two Host headers", request: req(`GET ${path} HTTP/1.1`, "Host: evil.example") },
    { name: "a header of 64 KiB", request: req(`GET ${path} HTTP/1.1`, `X-Big: ${"b".repeat(65_536)}`) },
    {
      name: "1,000 headers",
      request: req(`GET ${path} HTTP/1.1`, ...Array.from({ length: 1_000 }, (_, i) => `X-${i}: ${i}`)),
    },
    { name: "a NUL in a header value", request: req(`GET ${path} HTTP/1.1`, "X-Nul: a\0b") },
    { name: "a space in a header name", request: req(`GET ${path} HTTP/1.1`, "X Bad: 1") },
    { name: "an obs-fold header", request: req(`GET ${path} HTTP/1.1`, "X-Fold: a", " b") },
    { name: "bytes above 0x7f in a header value", request: req(`GET ${path} HTTP/1.1`, "X-High: \x80\xff") },
    {
      name: "an origin that is not one",
      request: req(`GET ${path} HTTP/1.1`, "Origin: \x7f//", "Access-Control-Request-Method: GET"),
    },
    {
      name: "a body on GET",
      request: req(`GET ${path} HTTP/1.1`, "Content-Length: 11").replace(/\r\n\r\n$/, "\r\n\r\nhello world"),
    },
    {
      name: "a chunked body on GET",
      request: req(`GET ${path} HTTP/1.1`, "Transfer-Encoding: chunked").replace(
        /\r\n\r\n$/,
        "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      ),
    },
    {
      name: "a malformed chunked body",
      request: req(`POST ${path} HTTP/1.1`, "Transfer-Encoding: chunked").replace(
        /\r\n\r\n$/,
        "\r\n\r\nzz\r\nhello\r\n",
      ),
    },
    {
      name: "a body shorter than its Content-Length",
      request: req(`POST ${path} HTTP/1.1`, "Content-Length: 100").replace(/\r\n\r\n$/, "\r\n\r\nshort"),
    },
    { name: "a negative Content-Length", request: req(`GET ${path} HTTP/1.1`, "Content-Length: -1") },
    {
      name: "two Content-Lengths",
      request: req(`GET ${path} HTTP/1.1`, "Content-Length: 1", "Content-Length: 2").replace(/\r\n\r\n$/, "\r\n\r\nab"),
    },
    {
      name: "Content-Length with Transfer-Encoding",
      request: req(`POST ${path} HTTP/1.1`, "Content-Length: 4", "Transfer-Encoding: chunked").replace(
        /\r\n\r\n$/,
        "\r\n\r\n0\r\n\r\n",
      ),
    },
    {
      name: "an unknown Transfer-Encoding",
      request: req(`POST ${path} HTTP/1.1`, "Transfer-Encoding: gzip, identity"),
    },
    {
      name: "Expect: 100-continue",
      request: req(`POST ${path} HTTP/1.1`, "Expect: 100-continue", "Content-Length: 0"),
    },
    { name: "an unknown expectation", request: req(`GET ${path} HTTP/1.1`, "Expect: the-unexpected") },
    {
      name: "an upgrade to websocket",
      request: req(
        `GET ${path} HTTP/1.1`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
      ),
    },
    {
      name: "an h2c upgrade",
      request: req(`GET ${path} HTTP/1.1`, "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"),
    },
    { name: "the HTTP/2 preface", request: `PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}` },
    { name: "a TLS ClientHello", request: Buffer.from("16030100a5010000a10303" + "00".repeat(64), "hex") },
    { name: "binary garbage", request: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256)) },
    { name: "a bare line feed line end", request: `GET ${path} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n` },
    { name: "a request line of spaces", request: `   ${CRLF}${CRLF}` },
  ];
}

/** Two valid requests and then garbage on one kept-alive socket: each valid one must be answered before the 400. */
export function pipelinedThenGarbage(path = "/health"): string {
  const get = `GET ${path} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`;
  return `${get}${get}GARBAGE${CRLF}${CRLF}`;
}

/** What URL parsers trip on: every request-target fuzzer mixes these into the server's own words. */
const TRICKY_PIECES = [
  "/",
  "%",
  "%2",
  "%2F",
  "%2e%2e",
  "%00",
  "%ZZ",
  "?",
  "#",
  "&",
  "=",
  "[",
  "]",
  "@",
  ":",
  "\\",
  "..",
  "\0",
  "\r",
  "\n",
  " ",
  "\t",
  "\x7f",
  "é",
  "💥",
];

/** Request targets for a fuzzer: raw binary strings, and strings of the server's own words (`words`) among the tricky pieces. */
export function fuzzedTargets(words: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ unit: fc.constantFrom(...words, ...TRICKY_PIECES), maxLength: 30 }),
  );
}

/** GETs `target` on a connection of its own: true when every answer is below 500, or the server closed it (a parser's refusal). */
export async function answersBelow500(port: number, target: string): Promise<boolean> {
  const exchange = await rawExchange(
    port,
    Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, "utf8"),
    { timeoutMs: 3_000 },
  );
  return (exchange.closed || exchange.answers.length > 0) && exchange.answers.every((a) => a.status < 500);
}
