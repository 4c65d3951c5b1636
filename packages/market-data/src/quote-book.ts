import type { QuoteTick, QuoteView, Universe } from "@tickflow/core";
import { midPrice } from "@tickflow/core";

const DAY_MS = 86_400_000;

interface Entry {
  history: QuoteTick[];
  open: { day: number; mid: number };
}

/** The latest quotes and a bounded recent history per symbol: what the read API serves (core's QuoteSchema and QuoteDetailSchema). */
export class QuoteBook {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly universe: Universe,
    private readonly historyLimit: number,
  ) {}

  add(tick: QuoteTick): void {
    const scale = this.universe.get(tick.symbol).priceScale;
    const day = Math.floor(tick.tsEvent / DAY_MS);
    let entry = this.entries.get(tick.symbol);
    if (!entry) this.entries.set(tick.symbol, (entry = { history: [], open: { day, mid: midPrice(tick, scale) } }));
    if (day > entry.open.day) entry.open = { day, mid: midPrice(tick, scale) };
    entry.history.push(tick);
    if (entry.history.length > this.historyLimit * 2) entry.history.splice(0, entry.history.length - this.historyLimit);
  }

  latest(symbol: string): QuoteTick | null {
    return this.entries.get(symbol)?.history.at(-1) ?? null;
  }

  view(symbol: string): QuoteView | null {
    const entry = this.entries.get(symbol);
    const tick = entry?.history.at(-1);
    if (!entry || !tick) return null;
    const instrument = this.universe.get(symbol);
    const mid = midPrice(tick, instrument.priceScale);
    const round = (x: number) => Math.round(x * instrument.priceScale * 10) / (instrument.priceScale * 10);
    return {
      symbol,
      bid: tick.bid,
      ask: tick.ask,
      mid,
      bidSize: tick.bidSize,
      askSize: tick.askSize,
      seq: tick.seq,
      tsEvent: tick.tsEvent,
      open: entry.open.mid,
      change: round(mid - entry.open.mid),
      changePct: Math.round(((mid - entry.open.mid) / entry.open.mid) * 1e6) / 1e4,
    };
  }

  views(): QuoteView[] {
    return this.universe.symbols.map((s) => this.view(s)).filter((v): v is QuoteView => v !== null);
  }

  history(symbol: string, limit: number): QuoteTick[] {
    return (this.entries.get(symbol)?.history ?? []).slice(-Math.min(limit, this.historyLimit));
  }
}
