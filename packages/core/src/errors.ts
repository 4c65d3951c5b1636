/** Base class of every error the domain throws: a broken invariant or invalid input, never an expected outcome. */
export class TickflowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration that cannot work: unknown strategy, symbol or parameter. Message lists the valid choices. */
export class ConfigError extends TickflowError {}

/** A replay CSV row that cannot be read; names the line and the field so the file can be fixed. */
export class ReplayError extends TickflowError {
  constructor(
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`line ${line}, field "${field}": ${detail}`);
  }
}
