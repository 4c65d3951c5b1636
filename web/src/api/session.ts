import { useSyncExternalStore } from "react";
import type { Role } from "./types";

/**
 * Who is logged in: the bearer token every API call sends, and the name and role the dashboard
 * shows (the role only decides which controls appear; the gateway checks the token on every
 * write). Kept in sessionStorage, so a reload keeps the login and closing the tab ends it.
 */
export interface Session {
  token: string;
  username: string;
  role: Role;
  /** When the token expires, ms since the epoch. */
  expiresAt: number;
}

/** Why the last session ended, for the login form to say; null after a login or a plain log out. */
export type EndReason = "expired" | "unauthenticated" | null;

const KEY = "tickflow.session";

interface State {
  session: Session | null;
  ended: EndReason;
}

let state: State = { session: restore(), ended: null };
const listeners = new Set<() => void>();
let expiry: ReturnType<typeof setTimeout> | undefined;
schedule();

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    // storage refused (a sandboxed frame): the session lives in memory only
    return undefined;
  }
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Partial<Session>;
  return (
    typeof s.token === "string" &&
    typeof s.username === "string" &&
    (s.role === "viewer" || s.role === "trader") &&
    typeof s.expiresAt === "number"
  );
}

function restore(): Session | null {
  try {
    const saved: unknown = JSON.parse(storage()?.getItem(KEY) ?? "null");
    return isSession(saved) && saved.expiresAt > Date.now() ? saved : null;
  } catch {
    return null;
  }
}

function update(next: State): void {
  state = next;
  try {
    if (next.session) storage()?.setItem(KEY, JSON.stringify(next.session));
    else storage()?.removeItem(KEY);
  } catch {
    // a full or refused storage keeps the session for this page only
  }
  schedule();
  for (const listener of listeners) listener();
}

/** Ends the session when its token expires, so the controls go away before the gateway refuses them. */
function schedule(): void {
  clearTimeout(expiry);
  const session = state.session;
  if (!session) return;
  // setTimeout holds at most 2^31 - 1 ms; a longer token is checked again then
  const wait = Math.min(Math.max(session.expiresAt - Date.now(), 0), 2_147_483_647);
  expiry = setTimeout(() => {
    if (state.session === session && session.expiresAt <= Date.now()) update({ session: null, ended: "expired" });
    else schedule();
  }, wait);
}

export function getSession(): Session | null {
  return state.session;
}

export function startSession(session: Session): void {
  update({ session, ended: null });
}

/** Logs out; `reason` says why when it was not the user's choice (a 401, an expired token). */
export function endSession(reason: EndReason = null): void {
  if (state.session === null && state.ended === reason) return;
  update({ session: null, ended: reason });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const getState = () => state;

/** The session and why the last one ended, re-rendering on login and logout. */
export function useSession(): State {
  return useSyncExternalStore(subscribe, getState, getState);
}

/** Whether the user may trade: the controls show for a trader only (a viewer and a logged-out user see none). */
export function useCanTrade(): boolean {
  return useSession().session?.role === "trader";
}

/**
 * The claims of a JWT, decoded without checking its signature: only to show the name and role
 * (the gateway verifies the token on every call). Null when it is not a JWT.
 */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const base64 = payload
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
