/** Base class of every error the domain throws: a broken invariant or invalid input, never an expected outcome. */
export class TickflowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration that cannot work: unknown strategy, symbol or parameter. Message lists the valid choices. */
export class ConfigError extends TickflowError {}

/**
 * A replay file that cannot be read: names the file, the line and the field (`ticks.csv.gz:1234:
 * ask_price: "abc" is not a number`), so the file can be fixed.
 */
export class ReplayError extends TickflowError {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${source}:${line}: ${field}: ${detail}`);
  }
}
