import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { Worker } from "node:worker_threads";
import {
  ConfigError,
  DEFAULT_UNIVERSE,
  mergeInstruments,
  parseInstrumentsFile,
  parseReplayCsv,
  ReplayError,
  Universe,
  type Instrument,
  type QuoteTick,
  type ReplayFormat,
} from "@tickflow/core";

const CHUNK = 1 << 20;

/**
 * Ticks of a replay file (Tickflow, Tardis quotes or Databento CSV; gzip or plain), read as they
 * are consumed: a file of any size is never in memory whole. Errors name the file as given.
 */
export function readReplayFile(path: string, universe: Universe, format?: ReplayFormat): Generator<QuoteTick> {
  if (!existsSync(path)) throw new ConfigError(`replay file "${path}" does not exist`);
  return parseReplayCsv(readLinesSync(path), universe, { source: path, ...(format ? { format } : {}) });
}

/** The instruments of an instruments file (JSON or CSV; small, so read whole). */
export function readInstrumentsFile(path: string): Instrument[] {
  if (!existsSync(path)) throw new ConfigError(`instruments file "${path}" does not exist`);
  return parseInstrumentsFile(readFileSync(path, "utf8"), path);
}

/**
 * The default universe, with the instruments of `instrumentsFile` merged in when given: the
 * file adds symbols, and redefines a default one it names again.
 */
export function loadUniverse(instrumentsFile?: string): Universe {
  if (instrumentsFile === undefined) return new Universe(DEFAULT_UNIVERSE);
  return new Universe(mergeInstruments(DEFAULT_UNIVERSE, readInstrumentsFile(instrumentsFile)));
}

/**
 * Lines of a file, gzip (told by its magic bytes 1f 8b, not its name) or plain, decoded as UTF-8
 * across chunk boundaries. A corrupt or truncated gzip is a ReplayError at the line it broke in.
 */
export function* readLinesSync(path: string): Generator<string> {
  // StringDecoder rather than TextDecoder: both keep a character split across chunks whole, but
  // StringDecoder gives one-byte strings for ASCII, which the parser reads about three times faster
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let lines = 0;
  const gzip = isGzip(path);
  try {
    for (const chunk of gzip ? gunzipChunks(path) : plainChunks(path)) {
      const parts = (rest + decoder.write(chunk)).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        lines += 1;
        yield line;
      }
    }
  } catch (error) {
    if (error instanceof ReplayError) throw error;
    throw new ReplayError(path, lines + 1, gzip ? "gzip" : "file", (error as Error).message);
  }
  rest += decoder.end();
  if (rest !== "") yield rest;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function* plainChunks(path: string): Generator<Uint8Array> {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return;
      yield buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

// The slot's states (Int32 0 of the shared buffer); Int32 1 holds the byte count.
const EMPTY = 0;
const FULL = 1;
const END = 2;
const FAILED = 3;

/**
 * node:zlib inflates only asynchronously as a stream (its sync calls take the whole input), and
 * the backtest consumes ticks synchronously. So a worker thread streams the file through
 * createGunzip and hands the output over one chunk at a time in a shared buffer, the reader
 * blocking on Atomics.wait until the next chunk is there: constant memory, documented APIs only.
 */
const GUNZIP_WORKER = `
const { workerData } = require("node:worker_threads");
const { createReadStream } = require("node:fs");
const { createGunzip } = require("node:zlib");
const state = new Int32Array(workerData.shared, 0, 2);
const data = new Uint8Array(workerData.shared, 8);
function put(kind, bytes) {
  Atomics.wait(state, 0, ${FULL}); // until the reader has taken the previous chunk
  data.set(bytes);
  state[1] = bytes.length;
  Atomics.store(state, 0, kind);
  Atomics.notify(state, 0);
}
(async () => {
  try {
    const file = createReadStream(workerData.path);
    const gunzip = createGunzip({ chunkSize: data.length });
    file.on("error", (error) => gunzip.destroy(error));
    for await (const chunk of file.pipe(gunzip))
      for (let i = 0; i < chunk.length; i += data.length) put(${FULL}, chunk.subarray(i, i + data.length));
    put(${END}, new Uint8Array(0));
  } catch (error) {
    put(${FAILED}, Buffer.from(String(error.message)).subarray(0, data.length));
  }
})();
`;

function* gunzipChunks(path: string): Generator<Uint8Array> {
  const shared = new SharedArrayBuffer(8 + CHUNK);
  const state = new Int32Array(shared, 0, 2);
  const data = new Uint8Array(shared, 8);
  const worker = new Worker(GUNZIP_WORKER, { eval: true, workerData: { path, shared } });
  worker.unref(); // a reader that stops early (a bad row) must not keep the process alive
  try {
    for (;;) {
      Atomics.wait(state, 0, EMPTY);
      const kind = Atomics.load(state, 0);
      if (kind === END) return;
      if (kind === FAILED) throw new Error(new TextDecoder().decode(data.subarray(0, state[1])));
      // the consumer decodes the chunk before asking for the next, so the slot is handed back after
      yield data.subarray(0, state[1]);
      Atomics.store(state, 0, EMPTY);
      Atomics.notify(state, 0);
    }
  } finally {
    void worker.terminate();
  }
}
