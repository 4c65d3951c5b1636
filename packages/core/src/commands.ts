import { z } from "zod";
import { StrategyInstanceSchema } from "./engine-config";
import { OrderRequestSchema } from "./orders";
import { MAX_PRICE, MAX_SIZE, TimestampSchema } from "./tick";

/*
 * Commands (DESIGN.md, control issue): what a person asks the strategy worker to do, published on
 * strategy.commands.v1 by the gateway and applied by the engine inside the worker's exactly-once
 * transaction, in the order the worker reads them. Each has an id (the client's idempotency key);
 * its outcome, command.applied or command.rejected with a stable reason, goes on the same topic.
 */

export const CommandKindSchema = z.enum([
  "strategy.add",
  "strategy.remove",
  "strategy.pause",
  "strategy.resume",
  "strategy.params",
  "risk.reset",
  "strategy.flatten",
  "order.submit",
  "order.cancel",
  "order.replace",
]);
export type CommandKind = z.infer<typeof CommandKindSchema>;

/** A command id is the client's idempotency key: letters, digits, '-' and '_' (a UUID fits). */
export const CommandIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/, "a command id is 8 to 64 letters, digits, '-' or '_' (a UUID fits)");

export const StrategyIdSchema = StrategyInstanceSchema.shape.id.max(64);

export const RoleSchema = z.enum(["viewer", "trader"]);
export type Role = z.infer<typeof RoleSchema>;

/** Who sent a command: the token's subject and name, and the role it was allowed by. */
export const ActorSchema = z.object({
  subject: z.string().min(1).max(256),
  username: z.string().min(1).max(256),
  role: RoleSchema,
});
export type Actor = z.infer<typeof ActorSchema>;

/** Strategy parameters as a command carries them: flat, scalar, bounded (the strategy's own schema judges them). */
export const CommandParamsSchema = z
  .record(z.string().min(1).max(64), z.union([z.number(), z.string().max(64), z.boolean()]))
  .refine((p) => Object.keys(p).length <= 32, "at most 32 parameters");

const none = z.strictObject({});
const orderId = z.string().min(1).max(200);

/** Each kind's payload. */
export const COMMAND_PAYLOADS = {
  "strategy.add": z.strictObject({
    kind: z.string().min(1).max(64),
    symbols: z.array(z.string().min(1).max(32)).min(1).max(32),
    params: CommandParamsSchema.default({}),
  }),
  "strategy.remove": none,
  "strategy.pause": none,
  "strategy.resume": none,
  "strategy.params": z.strictObject({ params: CommandParamsSchema }),
  "risk.reset": none,
  /** One symbol, or every symbol the strategy trades. */
  "strategy.flatten": z.strictObject({ symbol: z.string().min(1).max(32).optional() }),
  "order.submit": z.strictObject({ order: OrderRequestSchema }),
  "order.cancel": z.strictObject({ orderId }),
  "order.replace": z
    .strictObject({
      orderId,
      quantity: z.number().positive().max(MAX_SIZE).optional(),
      limitPrice: z.number().positive().max(MAX_PRICE).optional(),
      stopPrice: z.number().positive().max(MAX_PRICE).optional(),
    })
    .refine(
      (c) => c.quantity !== undefined || c.limitPrice !== undefined || c.stopPrice !== undefined,
      "a replace changes the quantity, the limit price or the stop price",
    ),
} as const satisfies Record<CommandKind, z.ZodType>;

export type CommandPayload<K extends CommandKind> = z.output<(typeof COMMAND_PAYLOADS)[K]>;

const submittedFields = {
  commandId: CommandIdSchema,
  strategyId: StrategyIdSchema,
  actor: ActorSchema,
  /** SHA-256 (hex) of what the client sent: a repeated idempotency key with another request is refused. */
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  submittedAt: TimestampSchema,
};

export type CommandSubmitted = {
  [K in CommandKind]: z.output<z.ZodObject<typeof submittedFields>> & { kind: K; payload: CommandPayload<K> };
}[CommandKind];

/** `command.submitted`: one member per kind, so the payload is checked against its kind. */
export const CommandSubmittedSchema = z.discriminatedUnion(
  "kind",
  CommandKindSchema.options.map((kind) =>
    z.object({ ...submittedFields, kind: z.literal(kind), payload: COMMAND_PAYLOADS[kind] }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<CommandSubmitted>;

export const CommandRejectReasonSchema = z.enum([
  "unknown-strategy",
  "strategy-exists",
  "unknown-kind",
  "unknown-symbol",
  "invalid-params",
  "not-halted",
  "already-paused",
  "not-paused",
  /** A strategy is removed only when flat: flatten it first. */
  "position-open",
  "unknown-order",
  /** The order (or its change) failed a check the engine makes: the detail names the order rejection's reason. */
  "order-rejected",
]);
export type CommandRejectReason = z.infer<typeof CommandRejectReasonSchema>;

const outcomeFields = {
  commandId: CommandIdSchema,
  kind: CommandKindSchema,
  strategyId: StrategyIdSchema,
  /** The order a submit created (or a cancel or replace named), else null. */
  orderId: z.string().nullable(),
  /** Engine time it took effect at: the event time of the last quote the engine had applied. */
  tsEvent: TimestampSchema,
  /** When the command was submitted. */
  tsInit: TimestampSchema,
};

export const CommandAppliedSchema = z.object(outcomeFields);
export type CommandApplied = z.infer<typeof CommandAppliedSchema>;

export const CommandRejectedSchema = z.object({
  ...outcomeFields,
  reason: CommandRejectReasonSchema,
  detail: z.string().max(2_000),
});
export type CommandRejected = z.infer<typeof CommandRejectedSchema>;
