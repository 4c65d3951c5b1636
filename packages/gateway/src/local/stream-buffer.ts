import type { StreamChannel } from "../stream-schema";

/** One buffered stream message: its position, channel and wire text. */
export interface HistoryEntry {
  seq: number;
  channel: StreamChannel;
  text: string;
}

/** What a client resuming after `since` gets: the messages after it, or why it cannot resume. */
export type Resumption = { kind: "replay"; entries: HistoryEntry[] } | { kind: "expired" } | { kind: "unknown" };

/**
 * The last `capacity` non-quote messages, in seq order, in a ring. `floor` is the highest
 * position that may have been lost (the last evicted message's, or the base when none was): a
 * client that has seen up to `since >= floor` finds every later message here.
 */
export class StreamHistory {
  private readonly ring: (HistoryEntry | undefined)[];
  private start = 0;
  private size = 0;
  private floorSeq: number;
  private lastSeq: number;

  constructor(
    readonly capacity: number,
    base: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
    this.ring = new Array<HistoryEntry | undefined>(capacity);
    this.floorSeq = base;
    this.lastSeq = base;
  }

  /** The last position appended (the base before any). */
  get last(): number {
    return this.lastSeq;
  }

  get floor(): number {
    return this.floorSeq;
  }

  get length(): number {
    return this.size;
  }

  append(entry: HistoryEntry): void {
    if (entry.seq <= this.lastSeq) throw new RangeError(`seq ${entry.seq} is not after ${this.lastSeq}`);
    if (this.size === this.capacity) {
      this.floorSeq = this.ring[this.start]!.seq;
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.size) % this.capacity] = entry;
      this.size += 1;
    }
    this.lastSeq = entry.seq;
  }

  private at(index: number): HistoryEntry {
    return this.ring[(this.start + index) % this.capacity]!;
  }

  /** Every message after `since`, oldest first; `expired` when some may be lost, `unknown` when `since` is ahead of the stream. */
  since(since: number): Resumption {
    if (since > this.lastSeq) return { kind: "unknown" };
    if (since < this.floorSeq) return { kind: "expired" };
    // the first entry with seq > since (entries are in increasing seq order)
    let low = 0;
    let high = this.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.at(mid).seq <= since) low = mid + 1;
      else high = mid;
    }
    const entries: HistoryEntry[] = [];
    for (let i = low; i < this.size; i++) entries.push(this.at(i));
    return { kind: "replay", entries };
  }
}

/** The clock and timers a Conflator uses (tests pass fake ones). */
export interface ConflationClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: ConflationClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface KeyState<T> {
  /** When the last value of this key went out (-Infinity: never). */
  sentAt: number;
  pending: T | undefined;
  timer: unknown;
}

/**
 * At most one value per key every `intervalMs`, the latest always delivered: a value offered
 * within the interval after the last one sent waits (replacing any waiting before it) and goes
 * out when the interval is over. `send` returns false when it cannot send now (a slow client):
 * the value waits another interval, unless a newer one replaces it.
 */
export class Conflator<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private closed = false;

  constructor(
    readonly intervalMs: number,
    private readonly send: (key: string, value: T) => boolean,
    private readonly clock: ConflationClock = SYSTEM_CLOCK,
  ) {}

  offer(key: string, value: T): void {
    if (this.closed) return;
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { sentAt: -Infinity, pending: undefined, timer: undefined }));
    const now = this.clock.now();
    if (state.timer === undefined && now - state.sentAt >= this.intervalMs) {
      if (this.send(key, value)) {
        state.sentAt = now;
        return;
      }
      // could not go out: it waits a whole interval
      state.pending = value;
      this.schedule(key, state, this.intervalMs);
      return;
    }
    state.pending = value;
    if (state.timer === undefined) this.schedule(key, state, Math.max(0, state.sentAt + this.intervalMs - now));
  }

  /** Values waiting to go out. */
  get pending(): number {
    let count = 0;
    for (const state of this.keys.values()) if (state.pending !== undefined) count++;
    return count;
  }

  close(): void {
    this.closed = true;
    for (const state of this.keys.values()) if (state.timer !== undefined) this.clock.clearTimeout(state.timer);
    this.keys.clear();
  }

  private schedule(key: string, state: KeyState<T>, ms: number): void {
    state.timer = this.clock.setTimeout(() => {
      state.timer = undefined;
      if (this.closed || state.pending === undefined) return;
      const value = state.pending;
      const now = this.clock.now();
      if (this.send(key, value)) {
        state.pending = undefined;
        state.sentAt = now;
      } else this.schedule(key, state, this.intervalMs);
    }, ms);
  }
}
