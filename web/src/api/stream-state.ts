import { useSyncExternalStore } from "react";

/**
 * The stream's connection as the dashboard shows it (the health bar) and as the polled queries
 * read it: while it is `live` (hello received, heartbeats arriving) the queries the stream feeds
 * stop polling; in every other state they poll as before.
 *
 * - `live`: connected, the hello came and nothing has been missed since.
 * - `reconnecting`: the connection dropped (or a heartbeat is late); the next attempt is on its
 *   way, with exponential backoff, and resumes with `since`. Polling is back meanwhile.
 * - `polling`: no stream: not connected yet, no WebSocket in this browser, or several attempts in
 *   a row failed (it keeps trying, at the longest backoff).
 */
export type StreamStatus = "live" | "reconnecting" | "polling";

export interface StreamState {
  status: StreamStatus;
  /** Attempts since the last hello (0 while live). */
  attempts: number;
  /** Why the last connection ended, for the health bar's tooltip. */
  detail: string | null;
}

const INITIAL: StreamState = { status: "polling", attempts: 0, detail: null };
let state: StreamState = INITIAL;
const listeners = new Set<() => void>();

export function getStreamState(): StreamState {
  return state;
}

export function setStreamState(next: StreamState): void {
  if (next.status === state.status && next.attempts === state.attempts && next.detail === state.detail) return;
  state = next;
  for (const listener of listeners) listener();
}

/** Back to "no stream" (a provider unmounted, a test's cleanup). */
export function resetStreamState(): void {
  setStreamState(INITIAL);
}

export function subscribeStreamState(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The stream's state, re-rendering when it changes. */
export function useStreamState(): StreamState {
  return useSyncExternalStore(subscribeStreamState, getStreamState, getStreamState);
}

/**
 * A query's `refetchInterval` for data the stream feeds: `ms` unless the stream is live. TanStack
 * Query asks it again after every update of the query (a fetch, a setQueryData), so polling stops
 * at the first update after the stream went live; the client refetches the fed queries when the
 * stream drops, which starts their polling again.
 */
export function unlessStreaming(ms: number): () => number | false {
  return () => (state.status === "live" ? false : ms);
}
