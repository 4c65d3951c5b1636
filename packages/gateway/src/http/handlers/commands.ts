import { defineEndpoint } from "../endpoint";
import { readSideQuery } from "../../read-side";

/** GET /api/commands?strategy=&status=&kind=&from=&to=&limit=&cursor=: the command audit, newest first. */
export const commands = defineEndpoint("commands", ({ query, deps }) =>
  readSideQuery(deps.readSide, (rs) => rs.commands(query)),
);

export const handler = commands.lambda();
