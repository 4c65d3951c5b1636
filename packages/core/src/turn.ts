import type { EngineEvent } from "./events";
import type { QuoteTick } from "./tick";

/**
 * One quote's processing: the quote, and the events it has caused so far in order. The engine
 * makes one per applied quote and hands it down to whatever emits; nothing keeps it afterwards.
 */
export interface Turn {
  readonly tick: QuoteTick;
  readonly events: EngineEvent[];
}
