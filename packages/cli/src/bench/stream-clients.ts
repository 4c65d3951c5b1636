/**
 * The stream bench's clients, on a worker thread of their own (started through
 * ../optimize/worker-entry.js, so tsx compiles this file there): `clients` WebSocket connections
 * to `url`, each recording, for every event message whose `tsEvent` lies in the window the main
 * thread sets, its receive time minus that `tsEvent` (the publisher puts Date.now() there).
 */
import { parentPort, workerData } from "node:worker_threads";
import { WebSocket } from "ws";

export interface ClientsSetup {
  url: string;
  clients: number;
  /** Connections opened at once while connecting. */
  concurrency: number;
}

/** From the main thread. */
export type ToClients = { type: "window"; from: number; to: number } | { type: "report" } | { type: "close" };

/** To the main thread. */
export type FromClients =
  | { type: "connected"; open: number; failed: number; firstError: string | null }
  | {
      type: "report";
      /** ms, one per quote message received per client in the window. */
      quotes: Float64Array;
      /** ms, one per non-quote event message received per client in the window. */
      events: Float64Array;
      /** Connections still open. */
      open: number;
      /** Close codes of the connections the server closed, with their counts. */
      closes: Record<string, number>;
    }
  | { type: "closed" };

const setup = workerData as ClientsSetup & { module: string };
const port = parentPort!;

let from = Number.POSITIVE_INFINITY;
let to = Number.NEGATIVE_INFINITY;
let quotes: number[] = [];
let events: number[] = [];
const closes: Record<string, number> = {};
const sockets: WebSocket[] = [];
let closing = false;

const TS = '"tsEvent":';
const QUOTES = '"channel":"quotes"';

/** Reads only what it needs (the message's own tsEvent comes before its data, and its channel before both). */
function onMessage(data: Buffer) {
  const now = Date.now();
  const text = data.toString("latin1");
  const at = text.indexOf(TS);
  if (at < 0) return; // a control message
  const tsEvent = Number.parseInt(text.slice(at + TS.length, at + TS.length + 20), 10);
  if (!(tsEvent >= from && tsEvent < to)) return;
  (text.indexOf(QUOTES) >= 0 && text.indexOf(QUOTES) < at ? quotes : events).push(now - tsEvent);
}

function connect(): Promise<string | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(setup.url, { perMessageDeflate: false });
    ws.on("message", onMessage);
    ws.once("open", () => {
      sockets.push(ws);
      resolve(null);
    });
    // before the open: the connection failed; after it: the close that follows is counted
    ws.on("error", (error) => resolve(error.message));
    ws.on("close", (code) => {
      if (!closing) closes[code] = (closes[code] ?? 0) + 1;
    });
  });
}

async function connectAll() {
  let failed = 0;
  let firstError: string | null = null;
  for (let started = 0; started < setup.clients; started += setup.concurrency) {
    const batch = Math.min(setup.concurrency, setup.clients - started);
    for (const error of await Promise.all(Array.from({ length: batch }, connect)))
      if (error !== null) {
        failed += 1;
        firstError ??= error;
      }
  }
  port.postMessage({ type: "connected", open: sockets.length, failed, firstError } satisfies FromClients);
}

port.on("message", (message: ToClients) => {
  if (message.type === "window") {
    from = message.from;
    to = message.to;
    quotes = [];
    events = [];
  } else if (message.type === "report") {
    const q = Float64Array.from(quotes);
    const e = Float64Array.from(events);
    const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    port.postMessage({ type: "report", quotes: q, events: e, open, closes } satisfies FromClients, [
      q.buffer,
      e.buffer,
    ]);
  } else {
    closing = true;
    for (const ws of sockets) ws.terminate();
    port.postMessage({ type: "closed" } satisfies FromClients);
  }
});

await connectAll();
