import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  consumerLag,
  decodeEvent,
  DecodeError,
  TOPICS,
  type Bus,
  type BusRecord,
  type Subscription,
  type TopicId,
} from "@tickflow/bus";
import type { Metrics } from "@tickflow/metrics";
import { API_SECURITY_HEADERS, HttpProblem, queryParameterProblem, requestTarget } from "@tickflow/runtime";
import type { Logger } from "pino";
import { decodeJwt } from "jose";
import { WebSocket, WebSocketServer } from "ws";
import { authorize, bearerToken, type Auth } from "../auth";
import type { GatewayConfig } from "../config";
import type { ConsumerHealthSource } from "../http/deps";
import type { ConsumerHealth } from "../schemas";
import {
  channelOfType,
  STREAM_CHANNELS,
  STREAM_CLOSE_CODES,
  STREAM_PATH,
  StreamQuerySchema,
  type StreamChannel,
  type StreamHeartbeat,
  type StreamHello,
  type StreamQuery,
  type StreamResync,
} from "../stream-schema";
import { Conflator, StreamHistory, SYSTEM_CLOCK, type ConflationClock } from "./stream-buffer";

/** The topics the stream reads: one per channel. */
export const STREAM_TOPICS: readonly TopicId[] = STREAM_CHANNELS;

/** A client sends nothing but pings, pongs and its close: a frame larger than this is cut (1009). */
export const STREAM_MAX_PAYLOAD_BYTES = 1_024;

const LAG_INTERVAL_MS = 5_000;
/** Symbols whose latest quote the stream keeps: md.quotes.v1 is not guarded, and junk symbols must not grow memory without bound. */
const MAX_SYMBOLS = 10_000;
/** How long a client closed by the server (too slow, token expired) has to read its close frame before it is cut. */
const CLOSE_GRACE_MS = 10_000;
/** setTimeout's longest delay (about 24.8 days); a token that lives longer is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LocalStreamOptions {
  bus: Bus;
  config: GatewayConfig;
  auth: Auth;
  logger: Logger;
  metrics: Metrics;
  /** The position before the first message (default: the start time in ms times 1000, so a later run's positions are all higher). */
  seqBase?: number;
  clock?: ConflationClock;
}

export interface LocalStream extends ConsumerHealthSource {
  /** The consumer group this gateway's stream reads in. */
  readonly groupId: string;
  /** Connected clients. */
  readonly clients: number;
  /** The current stream position. */
  readonly seq: number;
  /** Settles when the consumer ends: resolves on stop(), rejects if it fails. */
  readonly done: Promise<void>;
  /** Takes an HTTP upgrade request (the server's `upgrade` event); answers every other request itself. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every client (1001) and stops the consumer. */
  stop(): Promise<void>;
}

/** A problem+json answer written to a socket that has not been upgraded, then the socket ended. */
function refuse(socket: Duplex, problem: HttpProblem): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(problem.document(STREAM_PATH));
  const headers: Record<string, string> = {
    ...API_SECURITY_HEADERS,
    "content-type": "application/problem+json",
    "cache-control": "no-store",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...problem.headers,
  };
  const head = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? "Error"}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`, () => setTimeout(() => socket.destroy(), 1_000).unref());
}

/** A message's JSON after its `seq`: `{"seq":N,` + this is the whole message. */
const body = (message: object) => JSON.stringify(message).slice(1);
const withSeq = (seq: number, rest: string) => `{"seq":${seq},${rest}`;

/** Sent as a text frame: one Buffer per message, whatever the number of clients. */
const TEXT = { binary: false } as const;

const DISCONNECT_REASONS = ["slow-consumer", "token-expired", "no-pong"] as const;
type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

interface Client {
  ws: WebSocket;
  channels: ReadonlySet<StreamChannel>;
  quotes: boolean;
  /** Symbols whose latest quote this client missed while it was slow: sent once it has caught up. */
  behind: Set<string>;
  alive: boolean;
}

/**
 * The stream on this machine (DESIGN.md, The stream): ONE read_committed consumer per gateway (a
 * group of its own, from the latest offsets) decodes the channels' topics with the bus codec and
 * fans every event out to the WebSocket clients of `/api/stream`. Every non-quote message takes
 * the next stream position and is kept in a ring of the last STREAM_BUFFER_MESSAGES, from which
 * a client resuming with `?since=` gets what it missed, in order, without duplicates (or
 * `resync` when the ring no longer reaches back that far). Quotes are conflated per symbol to
 * STREAM_QUOTES_PER_SECOND (the latest always delivered), once for every client: a timer per
 * client and symbol would cost more than the sends at a thousand clients; a new connection gets
 * the latest quote of each symbol. A client that leaves more than STREAM_MAX_BUFFERED_BYTES
 * unread has its quotes held back (it gets each symbol's latest once it has caught up), and is
 * closed (4008) when an event would be lost.
 */
export async function startLocalStream(options: LocalStreamOptions): Promise<LocalStream> {
  const { bus, config, auth, logger, metrics } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const history = new StreamHistory(config.STREAM_BUFFER_MESSAGES, options.seqBase ?? Date.now() * 1_000);
  const maxBuffered = config.STREAM_MAX_BUFFERED_BYTES;
  const groupId = `${config.STREAM_GROUP_ID}-${randomUUID()}`;
  const clients = new Set<Client>();
  /** Every open connection, also those closing (a slow client's): stop() cuts what is left. */
  const sockets = new Set<WebSocket>();
  /** The latest quote of each symbol, as sent (without its seq). */
  const latestQuotes = new Map<string, string>();
  let stopping = false;
  // counted here and added at each scrape: an inc per message sent would cost more than the send
  const sent = Object.fromEntries(STREAM_CHANNELS.map((c) => [c, 0])) as Record<StreamChannel, number>;
  const reported = { ...sent };
  for (const channel of STREAM_CHANNELS) metrics.inc("tickflow_stream_messages_total", { channel }, 0);
  for (const reason of DISCONNECT_REASONS) metrics.inc("tickflow_stream_disconnects_total", { reason }, 0);
  metrics.onCollect(() => {
    metrics.set("tickflow_stream_clients", {}, clients.size);
    for (const channel of STREAM_CHANNELS) {
      metrics.inc("tickflow_stream_messages_total", { channel }, sent[channel] - reported[channel]);
      reported[channel] = sent[channel];
    }
  });
  const disconnect = (reason: DisconnectReason) => metrics.inc("tickflow_stream_disconnects_total", { reason });

  const wss = new WebSocketServer({ noServer: true, maxPayload: STREAM_MAX_PAYLOAD_BYTES, clientTracking: false });
  wss.on("error", (error) => logger.warn({ err: error }, "stream server error"));

  /** Sends the latest quote of each symbol the client missed, once it has room. */
  const catchUp = (client: Client) => {
    if (client.ws.readyState !== WebSocket.OPEN || client.ws.bufferedAmount > maxBuffered) return;
    for (const symbol of client.behind) {
      client.ws.send(withSeq(history.last, latestQuotes.get(symbol)!));
      sent.quotes += 1;
    }
    client.behind.clear();
  };

  const sendQuote = (client: Client, symbol: string, frame: Buffer) => {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    if (client.ws.bufferedAmount > maxBuffered) return void client.behind.add(symbol);
    client.behind.delete(symbol);
    if (client.behind.size > 0) catchUp(client);
    client.ws.send(frame, TEXT);
    sent.quotes += 1;
  };

  const quotes = new Conflator<string>(
    1_000 / config.STREAM_QUOTES_PER_SECOND,
    (symbol, rest) => {
      const frame = Buffer.from(withSeq(history.last, rest));
      for (const client of clients) if (client.quotes) sendQuote(client, symbol, frame);
      return true;
    },
    clock,
  );

  const sendEvent = (client: Client, channel: StreamChannel, frame: Buffer) => {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    if (client.ws.bufferedAmount > maxBuffered) {
      logger.info({ buffered: client.ws.bufferedAmount }, "stream client too slow: closing it");
      // it gets nothing more; the close frame follows what it has not read yet, and a client
      // that reads none of it within the grace is cut
      clients.delete(client);
      client.ws.close(STREAM_CLOSE_CODES.slowConsumer, "too slow: reconnect with since");
      setTimeout(() => client.ws.terminate(), CLOSE_GRACE_MS).unref();
      disconnect("slow-consumer");
      return;
    }
    client.ws.send(frame, TEXT);
    sent[channel] += 1;
  };

  const onRecord = (record: BusRecord) => {
    let event;
    try {
      event = decodeEvent(record.value, TOPICS[record.topic].events);
    } catch (error) {
      // the topic's own consumers dead-letter it; the stream only skips it
      if (!(error instanceof DecodeError)) throw error;
      logger.debug({ topic: record.topic, offset: record.offset, reason: error.reason }, "stream skips a record");
      return;
    }
    const channel = channelOfType(event.type);
    if (!channel) return;
    const data = event.data as { tsEvent?: unknown; symbol?: unknown };
    const message = {
      channel,
      type: event.type,
      id: event.id,
      tsEvent: typeof data.tsEvent === "number" ? data.tsEvent : event.ts,
      data: event.data,
    };
    metrics.observe(
      "tickflow_stream_event_age_seconds",
      { channel },
      Math.max(0, clock.now() - message.tsEvent) / 1_000,
    );
    if (channel === "quotes") {
      const symbol = String(data.symbol);
      if (!latestQuotes.has(symbol) && latestQuotes.size >= MAX_SYMBOLS) {
        logger.debug({ symbol: symbol.slice(0, 64) }, "stream skips a quote: too many symbols");
        return;
      }
      const rest = body(message);
      latestQuotes.set(symbol, rest);
      quotes.offer(symbol, rest);
      return;
    }
    const seq = history.last + 1;
    const text = withSeq(seq, body(message));
    history.append({ seq, channel, text });
    const frame = Buffer.from(text);
    for (const client of clients) if (client.channels.has(channel)) sendEvent(client, channel, frame);
  };

  /** Closes a client when its token expires (4401): a connection must not outlive the right to read. */
  const closeAtExpiry = (client: Client, expiresAt: number) => {
    const timer = setTimeout(
      () => {
        if (Date.now() < expiresAt) return closeAtExpiry(client, expiresAt);
        clients.delete(client);
        client.ws.close(STREAM_CLOSE_CODES.tokenExpired, "the token has expired: reconnect with a fresh one");
        setTimeout(() => client.ws.terminate(), CLOSE_GRACE_MS).unref();
        disconnect("token-expired");
      },
      Math.min(Math.max(expiresAt - Date.now(), 0), MAX_TIMER_MS),
    );
    timer.unref();
    client.ws.once("close", () => clearTimeout(timer));
  };

  const attach = (ws: WebSocket, query: StreamQuery, expiresAt: number | null) => {
    const channels = new Set(query.channels);
    const client: Client = { ws, channels, quotes: channels.has("quotes"), behind: new Set(), alive: true };
    if (expiresAt !== null) closeAtExpiry(client, expiresAt);
    ws.on("error", (error) => {
      logger.debug({ err: error }, "stream client error");
      ws.terminate();
    });
    ws.on("pong", () => (client.alive = true));
    // the stream takes no messages: what a client chooses is in the query
    ws.on("message", () => ws.close(1003, "this stream takes no messages"));
    sockets.add(ws);
    ws.on("close", () => {
      sockets.delete(ws);
      clients.delete(client);
    });
    const resumption = query.since !== undefined ? history.since(query.since) : null;
    const hello: StreamHello = {
      channel: "control",
      type: "hello",
      // a resuming client's replay comes after its own position: seq never decreases on a connection
      seq: resumption?.kind === "replay" ? query.since! : history.last,
      channels: query.channels,
      heartbeatMs: config.STREAM_HEARTBEAT_MS,
    };
    ws.send(JSON.stringify(hello));
    if (resumption && query.since !== undefined) {
      if (resumption.kind === "replay") {
        // bounded by the ring: sent whole, the slow-client bound applies to what follows
        for (const entry of resumption.entries)
          if (channels.has(entry.channel)) {
            ws.send(entry.text);
            sent[entry.channel] += 1;
          }
      } else {
        const resync: StreamResync = {
          channel: "control",
          type: "resync",
          seq: history.last,
          since: query.since,
          reason: resumption.kind,
        };
        ws.send(JSON.stringify(resync));
      }
    }
    if (client.quotes)
      for (const rest of latestQuotes.values()) {
        ws.send(withSeq(history.last, rest));
        sent.quotes += 1;
      }
    clients.add(client);
  };

  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestTarget(req.url);
    if (!url || url.pathname !== STREAM_PATH)
      throw new HttpProblem(400, "invalid-request", `only ${STREAM_PATH} takes a WebSocket upgrade`);
    if (stopping) throw new HttpProblem(503, "unavailable", "the gateway is stopping");
    const origin = req.headers.origin;
    if (origin !== undefined && !config.CORS_ORIGINS.includes("*") && !config.CORS_ORIGINS.includes(origin))
      throw new HttpProblem(403, "forbidden-origin", `origin ${origin} is not one of CORS_ORIGINS`);
    const problem = queryParameterProblem(url.searchParams, Object.keys(StreamQuerySchema.shape));
    if (problem) throw new HttpProblem(400, "invalid-parameter", problem.message, { parameter: problem.parameter });
    const parsed = StreamQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpProblem(400, "invalid-parameter", issue.message, { parameter: String(issue.path[0] ?? "") });
    }
    const query = parsed.data;
    // browsers cannot set headers on a WebSocket: the token may come in the query instead
    const header =
      req.headers.authorization ?? (query.access_token !== undefined ? `Bearer ${query.access_token}` : undefined);
    const principal = await authorize(auth, "read", header);
    // verified above: its exp (every token this gateway accepts has one) bounds the connection
    const expiry = principal ? decodeJwt(bearerToken(header)!).exp : undefined;
    if (stopping || socket.destroyed) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, query, expiry === undefined ? null : expiry * 1_000));
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    upgrade(req, socket, head).catch((error: unknown) => {
      if (error instanceof HttpProblem) return refuse(socket, error);
      logger.error({ err: error }, "stream upgrade failed");
      refuse(socket, new HttpProblem(500, "internal-error", "unexpected error; see the gateway log"));
    });
  };

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        client.ws.terminate();
        disconnect("no-pong");
        continue;
      }
      client.alive = false;
      client.ws.ping();
      // a slow client whose symbols have stopped ticking still gets their latest quotes
      if (client.behind.size > 0) catchUp(client);
      const beat: StreamHeartbeat = { channel: "control", type: "heartbeat", seq: history.last, ts: clock.now() };
      if (client.ws.readyState === WebSocket.OPEN && client.ws.bufferedAmount <= maxBuffered)
        client.ws.send(JSON.stringify(beat));
    }
  }, config.STREAM_HEARTBEAT_MS);

  // the gateway may start before the workers: the topics are created by whoever comes first
  await bus.ensureTopics();
  let subscription: Subscription;
  try {
    subscription = await bus.subscribe({
      groupId,
      topics: [...STREAM_TOPICS],
      fromBeginning: false,
      onBatch: async (records) => {
        for (const record of records) onRecord(record);
      },
    });
  } catch (error) {
    clearInterval(heartbeat);
    throw error;
  }
  let ended: string | null = null;
  subscription.done.then(
    () => (ended = "the stream's consumer has stopped"),
    (error: unknown) =>
      (ended = `the stream's consumer failed: ${error instanceof Error ? error.message : String(error)}`),
  );

  let lag = 0;
  const measureLag = async () => {
    try {
      let total = 0n;
      for (const topic of STREAM_TOPICS)
        // a partition it has committed nothing on yet: it started at its end
        for (const partition of await consumerLag(bus, groupId, topic))
          if (partition.committed !== "-1") total += partition.lag;
      lag = Number(total);
    } catch (error) {
      logger.debug({ err: error }, "could not measure the stream consumer's lag");
    }
  };
  const lagTimer = setInterval(() => void measureLag(), LAG_INTERVAL_MS);

  logger.info({ group: groupId, path: STREAM_PATH }, "stream started");
  return {
    groupId,
    get clients() {
      return clients.size;
    },
    get seq() {
      return history.last;
    },
    done: subscription.done,
    handleUpgrade,
    health: (): ConsumerHealth => {
      const base = { name: "stream" as const, group: groupId, lag };
      return ended ? { ...base, status: "down", detail: ended } : { ...base, status: "up" };
    },
    stop: async () => {
      stopping = true;
      clearInterval(heartbeat);
      clearInterval(lagTimer);
      quotes.close();
      for (const client of clients) {
        client.ws.close(1001, "the gateway is stopping");
      }
      await subscription.stop();
      // a moment for the clients to answer their close; one that does not is cut
      for (const deadline = Date.now() + 1_000; sockets.size > 0 && Date.now() < deadline;)
        await new Promise((resolve) => setTimeout(resolve, 20));
      for (const ws of sockets) ws.terminate();
      clients.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
