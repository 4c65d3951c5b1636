import { EnvelopeSchema, EVENT_SCHEMAS, TickflowError, type DomainEvent, type EventType } from "@tickflow/core";
import { z } from "zod";

/**
 * Why a record is not an event, and its DLQ reason: `tombstone` a record without a value (null:
 * a delete marker, which no topic of ours carries), `empty` a value of zero bytes, then each
 * step of parsing and validation in turn.
 */
export type DecodeReason =
  | "tombstone"
  | "empty"
  | "invalid-json"
  | "invalid-envelope"
  | "unknown-type"
  | "unknown-version"
  | "invalid-data"
  | "unexpected-type";

/** A record that cannot be turned into an event; `reason` is the DLQ metric label. */
export class DecodeError extends TickflowError {
  constructor(
    readonly reason: DecodeReason,
    message: string,
  ) {
    super(message);
  }
}

export type DecodedEvent = DomainEvent & { version: number; source: string };

/** Validates an event against its schema and serialises it in its envelope. */
export function encodeEvent(event: DomainEvent, source: string): Buffer {
  const spec = EVENT_SCHEMAS[event.type];
  const parsed = spec.data.safeParse(event.data);
  if (!parsed.success)
    throw new TickflowError(`refusing to publish invalid ${event.type} ${event.id}: ${z.prettifyError(parsed.error)}`);
  return Buffer.from(
    JSON.stringify({ type: event.type, version: spec.version, id: event.id, ts: event.ts, source, data: parsed.data }),
  );
}

/**
 * Parses and validates an envelope and its data. Throws DecodeError with a reason for every
 * way a record can be bad, so the caller can route it to the DLQ and count it.
 */
export function decodeEvent(value: Buffer | null, accept?: readonly EventType[]): DecodedEvent {
  if (value === null) throw new DecodeError("tombstone", "record is a tombstone (its value is null)");
  if (value.length === 0) throw new DecodeError("empty", "record value is empty (zero bytes)");
  let json: unknown;
  try {
    json = JSON.parse(value.toString("utf8"));
  } catch (error) {
    throw new DecodeError("invalid-json", `not JSON: ${(error as Error).message}`);
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) throw new DecodeError("invalid-envelope", `bad envelope: ${z.prettifyError(envelope.error)}`);
  const { type, version } = envelope.data;
  if (!(type in EVENT_SCHEMAS)) throw new DecodeError("unknown-type", `unknown event type "${type}"`);
  const spec = EVENT_SCHEMAS[type as EventType];
  if (version !== spec.version)
    throw new DecodeError("unknown-version", `${type} version ${version} is not supported (expected ${spec.version})`);
  if (accept && !accept.includes(type as EventType))
    throw new DecodeError("unexpected-type", `${type} is not expected here (expected ${accept.join(", ")})`);
  const data = spec.data.safeParse(envelope.data.data);
  if (!data.success) throw new DecodeError("invalid-data", `invalid ${type} data: ${z.prettifyError(data.error)}`);
  return { ...envelope.data, type, data: data.data } as DecodedEvent;
}
