import { Sha256 } from "@aws-crypto/sha256-js";
import middy, { type MiddyfiedHandler } from "@middy/core";
import { decodeEvent, DecodeError, TOPICS, type DecodedEvent, type TopicId } from "@tickflow/bus";
import { createLogger, ServiceEnvSchema } from "@tickflow/runtime";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Context, MSKEvent } from "aws-lambda";
import type { Logger } from "pino";
import { z } from "zod";
import { GatewayError } from "../errors";
import { MskEventSchema } from "../risk-consumer/handler";
import { SERVICE } from "../runtime";
import {
  channelOfType,
  STREAM_CHANNELS,
  StreamEventMessageSchema,
  type StreamChannel,
  type StreamEventMessage,
} from "../stream-schema";

/**
 * The stream on AWS (stacks/README.md, The stream on AWS): an MSK event-source Lambda that decodes
 * each record of the stream's topics with the bus codec and publishes it to the AppSync Events API,
 * which fans it out to every subscribed dashboard. The stack (stacks/stream.ts) gives it one
 * event-source mapping per stream channel (STREAM_CHANNELS) and names this module's `handler`
 * (STREAM_FANOUT_HANDLER). Messages are the stream schema's (`../stream-schema`), the same the
 * local gateway writes, on AppSync channel `/<channel>/<symbol>` (quotes, bars) or `/<channel>/all`.
 */

/** The fan-out Lambda (this module's `handler`), in the `file.export` form SST takes, relative to the repository root. */
export const STREAM_FANOUT_HANDLER = "packages/gateway/src/stream/aws-fanout.handler";

/** AppSync Events takes at most 5 events in one publish request (Publish events via HTTP). */
export const MAX_EVENTS_PER_PUBLISH = 5;

/** A channel segment: letters, digits and dashes, at most 50 characters. */
const SEGMENT = /^[A-Za-z0-9-]{1,50}$/;

/**
 * AppSync has no stream position: every message published on AWS carries `seq: 0`. A client on
 * AWS cannot resume with `since`; after a reconnect it reloads from the REST read side and drops
 * event ids it has already applied (stacks/README.md, The stream on AWS).
 */
export const AWS_STREAM_SEQ = 0;

/** One publish request's content: a channel path and up to MAX_EVENTS_PER_PUBLISH JSON strings. */
export interface PublishRequest {
  channel: string;
  events: string[];
}

/** Sends one request; throws PublishError (or any error) when AppSync does not take it. */
export type Publish = (request: PublishRequest) => Promise<void>;

/** A publish AppSync refused: `retryable` for throttling, 5xx and network errors. */
export class PublishError extends GatewayError {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface FanoutDeps {
  publish: Publish;
  logger: Logger;
  /** Attempts per publish request before a retryable failure fails the invocation (default 3). */
  attempts?: number;
  /** Base backoff between attempts, doubled each time (default 100 ms). */
  backoffMs?: number;
  /** Parallel publish requests across channels (default 8); one channel's requests stay in order. */
  concurrency?: number;
}

/** What an invocation did, for tests and logs. */
export interface FanoutSummary {
  records: number;
  published: number;
  /** Quote records dropped because a later quote of the same symbol was in the batch. */
  conflated: number;
  /** Records that are not events of their topic (undecodable, unknown topic): logged, skipped. */
  skipped: number;
  /** Events the stream does not carry (command.submitted): not published. */
  ignored: number;
  /** Publish requests AppSync refused for good (4xx other than 429): logged, skipped. */
  refused: number;
}

export type FanoutHandler = MiddyfiedHandler<MSKEvent, FanoutSummary>;

type MskRecord = z.infer<typeof MskEventSchema>["records"][string][number];

/** The stream's channels are named as the bus topics that carry them: md.quotes.v1 -> quotes. */
const channelByTopicName = new Map<string, StreamChannel>(
  STREAM_CHANNELS.map((channel) => [TOPICS[channel satisfies TopicId].name, channel]),
);

/** The AppSync channel path of an event: quotes and bars per symbol, every other namespace on `/all`. */
export function channelPath(channel: StreamChannel, event: DecodedEvent): string {
  const data = event.data as { symbol?: unknown };
  if ((channel === "quotes" || channel === "bars") && typeof data.symbol === "string" && SEGMENT.test(data.symbol))
    return `/${channel}/${data.symbol}`;
  return `/${channel}/all`;
}

/** The stream message of an event (the stream schema's event message), or undefined if the stream does not carry it. */
export function messageOf(event: DecodedEvent): StreamEventMessage | undefined {
  const channel = channelOfType(event.type);
  if (!channel) return undefined;
  const data = event.data as { tsEvent?: unknown };
  const message = StreamEventMessageSchema.safeParse({
    channel,
    type: event.type,
    id: event.id,
    tsEvent: typeof data.tsEvent === "number" ? data.tsEvent : event.ts,
    seq: AWS_STREAM_SEQ,
    data: event.data,
  });
  if (!message.success)
    throw new DecodeError("invalid-data", `not a stream message: ${z.prettifyError(message.error)}`);
  return message.data as StreamEventMessage;
}

/**
 * The fan-out: decodes every record (the bus codec, the topic's own event types only), keeps only
 * the latest quote per symbol in the batch (conflation: a dashboard wants the current price, and
 * each publish is billed), groups the rest by channel in offset order, and publishes each
 * channel's events in requests of at most five. A retryable failure (throttling, 5xx, network) is
 * retried with backoff, then fails the invocation so the event source redelivers the batch
 * (at-least-once: subscribers drop an event id they have seen). A record that is no event of its
 * topic, or a request AppSync refuses (4xx: too large, forbidden), is logged and skipped: retrying
 * cannot help, and the stream must not stall behind it. The read side stays the record; a client
 * that reconnects backfills from it.
 */
export function createFanout(deps: FanoutDeps): FanoutHandler {
  const { publish, logger } = deps;
  const attempts = deps.attempts ?? 3;
  const backoffMs = deps.backoffMs ?? 100;
  const concurrency = deps.concurrency ?? 8;

  const publishWithRetry = async (request: PublishRequest): Promise<"ok" | "refused"> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await publish(request);
        return "ok";
      } catch (error) {
        const retryable = !(error instanceof PublishError) || error.retryable;
        if (!retryable) {
          logger.error(
            { channel: request.channel, events: request.events.length, err: error },
            "AppSync refused the publish; skipping these events",
          );
          return "refused";
        }
        if (attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      }
    }
  };

  return middy<MSKEvent, FanoutSummary>().handler(async (event) => {
    const parsed = MskEventSchema.safeParse(event);
    if (!parsed.success) throw new GatewayError(`not a Kafka event-source event: ${z.prettifyError(parsed.error)}`);
    const summary: FanoutSummary = { records: 0, published: 0, conflated: 0, skipped: 0, ignored: 0, refused: 0 };

    // decode, in offset order within each partition
    const decoded: { record: MskRecord; channel: StreamChannel; event: DecodedEvent; message: StreamEventMessage }[] =
      [];
    for (const records of Object.values(parsed.data.records)) {
      for (const record of [...records].sort((a, b) => a.offset - b.offset)) {
        summary.records++;
        const topic = channelByTopicName.get(record.topic);
        const where = { topic: record.topic, partition: record.partition, offset: record.offset };
        if (!topic) {
          summary.skipped++;
          logger.warn(where, "record of a topic the stream does not carry; skipping it");
          continue;
        }
        try {
          const value = record.value != null ? Buffer.from(record.value, "base64") : null;
          const event = decodeEvent(value, TOPICS[topic].events);
          const message = messageOf(event);
          if (!message) summary.ignored++;
          else decoded.push({ record, channel: message.channel, event, message });
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          summary.skipped++;
          logger.warn({ ...where, reason: error.reason, error: error.message }, "record is no event; skipping it");
        }
      }
    }

    // conflation: the latest quote per symbol (a symbol's quotes share a partition, so the highest offset is the latest)
    const latestQuote = new Map<string, number>();
    decoded.forEach(({ channel, event, record }, index) => {
      if (channel !== "quotes") return;
      const symbol = (event.data as { symbol: string }).symbol;
      const seen = latestQuote.get(symbol);
      if (seen === undefined || decoded[seen]!.record.offset < record.offset) latestQuote.set(symbol, index);
    });
    const byChannel = new Map<string, string[]>();
    decoded.forEach(({ channel, event, message }, index) => {
      if (channel === "quotes" && latestQuote.get((event.data as { symbol: string }).symbol) !== index) {
        summary.conflated++;
        return;
      }
      const path = channelPath(channel, event);
      const list = byChannel.get(path) ?? [];
      list.push(JSON.stringify(message));
      byChannel.set(path, list);
    });

    // one channel's requests in order; channels in parallel, `concurrency` at a time
    const queues = [...byChannel.entries()];
    const worker = async () => {
      for (let next = queues.shift(); next; next = queues.shift()) {
        const [channel, events] = next;
        for (let i = 0; i < events.length; i += MAX_EVENTS_PER_PUBLISH) {
          const chunk = events.slice(i, i + MAX_EVENTS_PER_PUBLISH);
          if ((await publishWithRetry({ channel, events: chunk })) === "ok") summary.published += chunk.length;
          else summary.refused += chunk.length;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queues.length) }, worker));

    logger.debug(summary, "stream batch published");
    return summary;
  });
}

/** The AWS credentials Lambda gives the function's role, read at each signing (they are rotated). */
const lambdaCredentials = async () => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new GatewayError("no AWS credentials in the environment");
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN };
};

/**
 * The real publisher: a SigV4-signed (service `appsync`) POST of `{ channel, events }` to
 * `https://<EVENTS_HTTP_DOMAIN>/event`, the Events API's HTTP endpoint, as the function's role
 * (IAM auth, `appsync:EventPublish` on this API's namespaces only).
 */
export function sigV4Publisher(options: {
  httpDomain: string;
  region: string;
  credentials?: ConstructorParameters<typeof SignatureV4>[0]["credentials"];
  fetch?: typeof fetch;
}): Publish {
  const signer = new SignatureV4({
    service: "appsync",
    region: options.region,
    credentials: options.credentials ?? lambdaCredentials,
    sha256: Sha256,
  });
  const send = options.fetch ?? fetch;
  return async (request) => {
    const body = JSON.stringify(request);
    const signed = await signer.sign({
      method: "POST",
      protocol: "https:",
      hostname: options.httpDomain,
      path: "/event",
      headers: { host: options.httpDomain, "content-type": "application/json" },
      body,
    });
    let response: Response;
    try {
      response = await send(`https://${options.httpDomain}/event`, {
        method: "POST",
        headers: signed.headers,
        body,
      });
    } catch (error) {
      throw new PublishError(`publish to ${request.channel} failed: ${(error as Error).message}`, null, true);
    }
    if (!response.ok) {
      const text = (await response.text()).slice(0, 500);
      const retryable = response.status === 429 || response.status >= 500;
      throw new PublishError(
        `AppSync answered ${response.status} for ${request.channel}: ${text}`,
        response.status,
        retryable,
      );
    }
  };
}

const FanoutEnvSchema = z.object({
  /** The Events API's HTTP domain (the stack's `EventApi.httpDns`). */
  EVENTS_HTTP_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/, "must be a host name"),
  AWS_REGION: z.string().min(1),
  LOG_LEVEL: ServiceEnvSchema.shape.LOG_LEVEL,
});

let lambdaHandler: FanoutHandler | undefined;

/** The Lambda entry (STREAM_FANOUT_HANDLER): the SigV4 publisher to EVENTS_HTTP_DOMAIN. */
export const handler = (event: MSKEvent, context: Context): Promise<FanoutSummary> => {
  if (!lambdaHandler) {
    const env = FanoutEnvSchema.parse(process.env);
    lambdaHandler = createFanout({
      publish: sigV4Publisher({ httpDomain: env.EVENTS_HTTP_DOMAIN, region: env.AWS_REGION }),
      logger: createLogger(SERVICE, env.LOG_LEVEL),
    });
  }
  return lambdaHandler(event, context);
};
