import { TickflowError } from "@tickflow/core";

/** Wrong command-line usage: the CLI prints the message and exits 2. */
export class UsageError extends TickflowError {}
