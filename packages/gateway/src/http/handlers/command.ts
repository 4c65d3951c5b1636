import { HttpProblem } from "@tickflow/runtime";
import { defineEndpoint } from "../endpoint";
import { readSideQuery } from "../../read-side";

/** GET /api/commands/{id}: one command and its outcome. */
export const command = defineEndpoint("command", ({ path, deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    const found = await rs.command(path.id);
    if (!found)
      throw new HttpProblem(
        404,
        "unknown-command",
        `the read side has no command ${path.id} (yet: a command just accepted appears within moments)`,
      );
    return found.view;
  }),
);

export const handler = command.lambda();
