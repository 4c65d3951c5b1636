import { TickflowError } from "@tickflow/core";

/** Base class of every error the gateway raises on purpose; subclasses set `name` and carry a `cause`. */
export class GatewayError extends TickflowError {}
