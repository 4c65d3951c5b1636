import { InvalidCursorError, NO_DATABASE_MESSAGE, type ReadSide } from "@tickflow/read-side";
import { HttpProblem } from "@tickflow/runtime";

/**
 * Runs a read-side query for a route: a cursor the API did not give out is the caller's mistake
 * (400 naming `cursor`); a database that is not configured, away or failing is 503
 * `read-side-unavailable` (never a 500), with what to do when it is not configured.
 */
export async function readSideQuery<T>(readSide: ReadSide | null, query: (rs: ReadSide) => Promise<T>): Promise<T> {
  if (!readSide) throw new HttpProblem(503, "read-side-unavailable", NO_DATABASE_MESSAGE);
  try {
    return await query(readSide);
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    if (error instanceof InvalidCursorError)
      throw new HttpProblem(400, "invalid-parameter", error.message, {
        parameter: "cursor",
        errors: [{ parameter: "cursor", in: "query", message: error.message }],
      });
    // the database's own message can name hosts and users: it stays in the logs
    throw new HttpProblem(
      503,
      "read-side-unavailable",
      "the read side's database did not answer",
      {},
      { cause: error },
    );
  }
}

/** 404 unknown-strategy unless the read side has heard of the strategy (every running strategy samples its equity at each closed bar). */
export async function knownStrategy(readSide: ReadSide, strategyId: string | undefined): Promise<void> {
  if (strategyId === undefined) return;
  if (!(await readSide.knowsStrategy(strategyId)))
    throw new HttpProblem(404, "unknown-strategy", `the read side knows no strategy "${strategyId}"`, {
      parameter: "strategy",
    });
}
