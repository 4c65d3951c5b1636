/**
 * The stream's messages (DESIGN.md, The stream), one schema for both ends: the gateway's
 * WebSocket at `/api/stream` writes them, the dashboard reads them.
 *
 * This module imports only `zod` and `@tickflow/core`: the web dashboard imports it through the
 * `@tickflow/gateway/stream-schema` subpath, and must not pull in Node or AWS code with it.
 */
import { EVENT_SCHEMAS, type EventType } from "@tickflow/core";
import { z } from "zod";

/** Where the local gateway serves the stream (a WebSocket upgrade of a GET). */
export const STREAM_PATH = "/api/stream";

/** The event types each channel carries (bars: closed bars only; commands: the outcomes). */
export const CHANNEL_EVENTS = {
  quotes: ["quote.tick"],
  bars: ["bar.closed"],
  signals: ["signal.generated"],
  orders: [
    "order.submitted",
    "order.accepted",
    "order.triggered",
    "order.filled",
    "order.canceled",
    "order.replaced",
    "order.rejected",
  ],
  trades: ["trade.closed"],
  positions: ["position.changed"],
  equity: ["equity.sampled", "portfolio.sampled"],
  risk: ["risk.halted", "risk.reset"],
  commands: ["command.applied", "command.rejected"],
} as const satisfies Record<string, readonly EventType[]>;

export type StreamChannel = keyof typeof CHANNEL_EVENTS;
export const STREAM_CHANNELS = Object.keys(CHANNEL_EVENTS) as StreamChannel[];
export const StreamChannelSchema = z.enum(STREAM_CHANNELS as [StreamChannel, ...StreamChannel[]]);

/** The event types the stream carries. */
export type StreamEventType = (typeof CHANNEL_EVENTS)[StreamChannel][number];

/** The channel of an event type, or undefined for one the stream does not carry (command.submitted). */
export function channelOfType(type: string): StreamChannel | undefined {
  for (const channel of STREAM_CHANNELS)
    if ((CHANNEL_EVENTS[channel] as readonly string[]).includes(type)) return channel;
  return undefined;
}

/**
 * The stream position: a gateway-wide counter. Every non-quote message takes the next one, so
 * they strictly increase on a connection; a quote, `hello` and `heartbeat` carry the position
 * they were sent at (the last event's), so `seq` never decreases on a connection. A client
 * resumes with `?since=<the highest seq it has seen>`.
 */
const SeqSchema = z.number().int().nonnegative().describe("The stream position (resume with ?since=)");

const eventOption = <C extends StreamChannel, T extends (typeof CHANNEL_EVENTS)[C][number]>(channel: C, type: T) =>
  z.object({
    channel: z.literal(channel),
    type: z.literal(type),
    /** The source event's id (the envelope's). */
    id: z.string().min(1),
    /** The source event's own time: its data's `tsEvent`. */
    tsEvent: z.number(),
    seq: SeqSchema,
    data: EVENT_SCHEMAS[type].data as (typeof EVENT_SCHEMAS)[T]["data"],
  });

const eventOptions = STREAM_CHANNELS.flatMap((channel) =>
  CHANNEL_EVENTS[channel].map((type) => eventOption(channel, type as never)),
);

/**
 * One event of a channel: `{ channel, type, id, tsEvent, seq, data }`, `data` being the event's
 * (the same schema the bus validates on Kafka), discriminated by `type`.
 */
export const StreamEventMessageSchema = z.discriminatedUnion(
  "type",
  eventOptions as unknown as [ReturnType<typeof eventOption>, ...ReturnType<typeof eventOption>[]],
) as unknown as z.ZodType<StreamEventMessage>;
export type StreamEventMessage = {
  [C in StreamChannel]: {
    [T in (typeof CHANNEL_EVENTS)[C][number]]: {
      channel: C;
      type: T;
      id: string;
      tsEvent: number;
      seq: number;
      data: z.infer<(typeof EVENT_SCHEMAS)[T]["data"]>;
    };
  }[(typeof CHANNEL_EVENTS)[C][number]];
}[StreamChannel];

/** An event as a stream carries it, without the local stream's position (the AWS fan-out has none). */
export type StreamEvent = StreamEventMessage extends infer M ? (M extends unknown ? Omit<M, "seq"> : never) : never;

/** First message of every connection: where the stream is and what this connection gets. */
export const StreamHelloSchema = z.object({
  channel: z.literal("control"),
  type: z.literal("hello"),
  /**
   * The position this connection starts after: `since` when the client resumes (the replay that
   * follows is what came after it), else the stream position now.
   */
  seq: SeqSchema,
  channels: z.array(StreamChannelSchema),
  /** How often the server sends a heartbeat: a client that hears nothing for twice this reconnects. */
  heartbeatMs: z.number().int().positive(),
});

/**
 * The client asked to resume from a position the server no longer holds (older than its buffer,
 * or from another run of the gateway): it must reload from the REST read side; the live stream
 * follows on this connection from `seq`.
 */
export const StreamResyncSchema = z.object({
  channel: z.literal("control"),
  type: z.literal("resync"),
  seq: SeqSchema,
  /** The position the client asked for. */
  since: SeqSchema,
  reason: z.enum(["expired", "unknown"]),
});

/** Sent every `heartbeatMs` (besides WebSocket pings). */
export const StreamHeartbeatSchema = z.object({
  channel: z.literal("control"),
  type: z.literal("heartbeat"),
  seq: SeqSchema,
  /** The server's clock, ms since epoch. */
  ts: z.number().int(),
});

export const StreamControlMessageSchema = z.discriminatedUnion("type", [
  StreamHelloSchema,
  StreamResyncSchema,
  StreamHeartbeatSchema,
]);

/**
 * Every message on the stream, discriminated by `type` (control messages have channel
 * "control"); `z.infer` of it is StreamMessage.
 */
export const StreamMessageSchema = z.union([
  StreamControlMessageSchema,
  StreamEventMessageSchema,
]) as unknown as z.ZodType<StreamMessage>;

export type StreamHello = z.infer<typeof StreamHelloSchema>;
export type StreamResync = z.infer<typeof StreamResyncSchema>;
export type StreamHeartbeat = z.infer<typeof StreamHeartbeatSchema>;
export type StreamControlMessage = z.infer<typeof StreamControlMessageSchema>;
export type StreamMessage = StreamControlMessage | StreamEventMessage;

/** Close codes the server uses besides the standard ones (1001 going away, 1003, 1009). */
export const STREAM_CLOSE_CODES = {
  /** The connection's token expired (4401, as HTTP 401): reconnect with a fresh token (log in again). */
  tokenExpired: 4401,
  /** The client did not read fast enough and an event would have been lost: reconnect with `since`. */
  slowConsumer: 4008,
} as const;

/** The stream position in `since`: a non-negative safe integer, in decimal. */
const SinceSchema = z
  .string()
  .regex(/^\d{1,16}$/, "since must be a stream position (a non-negative integer)")
  .transform(Number)
  .refine(Number.isSafeInteger, "since must be a stream position (a non-negative integer)");

/**
 * The query of `GET /api/stream`: `channels` (comma-separated, default all), `since` (resume after
 * this position), `access_token` (a bearer token, for browsers, which cannot set headers on a
 * WebSocket).
 */
export const StreamQuerySchema = z.strictObject({
  channels: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return STREAM_CHANNELS;
      const names = [...new Set(text.split(",").map((name) => name.trim()))];
      const unknown = names.filter((name) => !StreamChannelSchema.safeParse(name).success);
      if (unknown.length > 0 || names.length === 0) {
        ctx.addIssue({
          code: "custom",
          message: `unknown channel ${JSON.stringify(unknown[0] ?? "")}: channels are ${STREAM_CHANNELS.join(", ")}`,
        });
        return z.NEVER;
      }
      return names as StreamChannel[];
    }),
  since: SinceSchema.optional(),
  access_token: z.string().min(1).max(8_192).optional(),
});
export type StreamQuery = z.output<typeof StreamQuerySchema>;
