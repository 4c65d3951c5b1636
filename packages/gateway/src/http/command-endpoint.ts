import type { CommandKind, CommandPayload } from "@tickflow/core";
import { submitCommand } from "../commands";
import { defineEndpoint, type EndpointInput, type Endpoint } from "./endpoint";
import { COMMAND_ROUTES } from "./routes";

type CommandHandlerName = (typeof COMMAND_ROUTES)[number]["handler"];
type KindOf<N extends CommandHandlerName> = Extract<(typeof COMMAND_ROUTES)[number], { handler: N }>["command"];

/**
 * A command route: the trader's request (path and body) becomes its command's strategy and
 * payload, published on strategy.commands.v1; it answers 202 with the command's Location, where
 * its outcome appears once the strategy worker has applied or rejected it.
 */
export function commandEndpoint<N extends CommandHandlerName>(
  name: N,
  toCommand: (input: EndpointInput<N>) => { strategyId: string; payload: CommandPayload<KindOf<N> & CommandKind> },
): Endpoint<N> {
  const kind = COMMAND_ROUTES.find((r) => r.handler === name)!.command as KindOf<N> & CommandKind;
  return defineEndpoint(
    name,
    async (input) => {
      const { strategyId, payload } = toCommand(input);
      return submitCommand(input.deps, {
        kind,
        strategyId,
        payload,
        // the trade access level let no request without a principal through
        actor: input.principal!,
        idempotencyKey: input.event.headers?.["idempotency-key"],
      }) as never;
    },
    { headers: (answer) => ({ location: `/api/commands/${(answer as { commandId: string }).commandId}` }) },
  );
}

/** The strategy an order id belongs to: ids are `<strategy id>:<symbol>:<n>`, and a strategy id has no colon. */
export const strategyOfOrder = (orderId: string) => orderId.slice(0, orderId.indexOf(":"));
