import { createHash, randomUUID } from "node:crypto";
import { createBus, encodeEvent, KafkaEnvSchema, type Bus, type Publisher } from "@tickflow/bus";
import {
  CommandIdSchema,
  CommandSubmittedSchema,
  type CommandKind,
  type CommandPayload,
  type CommandSubmitted,
} from "@tickflow/core";
import { HttpProblem, readEnv } from "@tickflow/runtime";
import type { Principal } from "./auth";
import { readSideQuery } from "./read-side";
import type { ReadSide } from "@tickflow/read-side";

/** Where the gateway sends commands: strategy.commands.v1, keyed by strategy. */
export interface CommandSink {
  publish(command: CommandSubmitted): Promise<void>;
  close(): Promise<void>;
}

/** A sink on a bus's idempotent producer (a retried send never doubles a record). */
export function busCommandSink(bus: Bus | (() => Promise<Bus>)): CommandSink {
  let publisher: Promise<Publisher> | undefined;
  const open = () =>
    (publisher ??= (typeof bus === "function" ? bus() : Promise.resolve(bus))
      .then((b) => b.publisher())
      .catch((error: unknown) => {
        publisher = undefined; // the next command tries again
        throw error;
      }));
  return {
    async publish(command) {
      await (
        await open()
      ).publish([
        {
          topic: "commands",
          key: command.strategyId,
          value: encodeEvent(
            { type: "command.submitted", id: command.commandId, ts: command.submittedAt, data: command },
            "gateway",
          ),
        },
      ]);
    },
    async close() {
      if (publisher) await (await publisher).close().catch(() => {});
    },
  };
}

/** A Lambda's sink: the bus from its environment (MSK_CLUSTER_ARN, KAFKA_AUTH=msk-iam), connected at the first command. */
export function commandSinkFromEnv(): CommandSink {
  return busCommandSink(() => createBus(readEnv(process.env, { kafka: KafkaEnvSchema }).kafka, "tickflow-gateway"));
}

/** What a command route answers (202), and answers again for a repeated Idempotency-Key. */
export interface CommandAccepted {
  commandId: string;
  kind: CommandKind;
  strategyId: string;
  status: "pending";
  submittedAt: number;
}

/**
 * Answers a gateway gave recently, by command id, the oldest first: a retry is answered before the
 * read side has projected the first. One per gateway (GatewayDeps), at most RECENT_LIMIT.
 */
export type RecentCommands = Map<string, { requestHash: string; answer: CommandAccepted }>;
const RECENT_LIMIT = 1_000;

/**
 * Publishes a command and answers 202's body. With an Idempotency-Key (the command id), a key
 * seen before (by this gateway or in the read side's audit) with the same request answers the
 * first answer again and publishes nothing; with another request it is 422. Two requests with a
 * new key racing each other both publish: the engine applies the first and ignores the repeat.
 */
export async function submitCommand<K extends CommandKind>(
  deps: { commands: CommandSink | null; readSide: ReadSide | null; recentCommands: RecentCommands },
  request: {
    kind: K;
    strategyId: string;
    payload: CommandPayload<K>;
    actor: Principal;
    idempotencyKey: string | undefined;
  },
): Promise<CommandAccepted> {
  const { kind, strategyId, payload, actor } = request;
  const key = request.idempotencyKey;
  if (key !== undefined && !CommandIdSchema.safeParse(key).success)
    throw new HttpProblem(
      400,
      "invalid-header",
      `Idempotency-Key: ${CommandIdSchema.safeParse(key).error!.issues[0]!.message}`,
      {
        parameter: "Idempotency-Key",
      },
    );
  // who asked for what: the same key from another user is another request
  const requestHash = createHash("sha256")
    .update(JSON.stringify([kind, strategyId, payload, actor.subject]))
    .digest("hex");
  if (key !== undefined) {
    const seen =
      deps.recentCommands.get(key) ??
      (await readSideQuery(deps.readSide, async (rs) => {
        const row = await rs.command(key);
        return row
          ? {
              requestHash: row.requestHash,
              answer: {
                commandId: key,
                kind: row.view.kind,
                strategyId: row.view.strategyId,
                status: "pending" as const,
                submittedAt: row.view.submittedAt,
              },
            }
          : undefined;
      }));
    if (seen) {
      if (seen.requestHash !== requestHash)
        throw new HttpProblem(
          422,
          "idempotency-key-reused",
          `Idempotency-Key ${key} was used for another request: send a new key for a new request`,
        );
      return seen.answer;
    }
  }
  if (!deps.commands)
    throw new HttpProblem(503, "commands-unavailable", "this gateway has no Kafka producer for strategy.commands.v1");
  const command = CommandSubmittedSchema.parse({
    commandId: key ?? randomUUID(),
    kind,
    strategyId,
    payload,
    actor,
    requestHash,
    submittedAt: Date.now(),
  });
  try {
    await deps.commands.publish(command);
  } catch (error) {
    throw new HttpProblem(
      503,
      "commands-unavailable",
      "strategy.commands.v1 did not take the command: retry with the same Idempotency-Key",
      {},
      { cause: error },
    );
  }
  const answer: CommandAccepted = {
    commandId: command.commandId,
    kind,
    strategyId,
    status: "pending",
    submittedAt: command.submittedAt,
  };
  deps.recentCommands.set(command.commandId, { requestHash, answer });
  if (deps.recentCommands.size > RECENT_LIMIT) deps.recentCommands.delete(deps.recentCommands.keys().next().value!);
  return answer;
}
