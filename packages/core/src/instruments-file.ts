import { z } from "zod";
import { ConfigError } from "./errors";
import { AssetClassSchema, defineInstrument, InstrumentSpecSchema, type Instrument } from "./instrument";

const spec = InstrumentSpecSchema.shape;

/**
 * One instrument of an instruments file: InstrumentSpecSchema with only symbol, currency and the
 * two increments required. Precisions default to the increments' decimals (0.25 -> 2); the
 * simulation parameters default to a flat market at 100 (replay does not read them), and the
 * asset class, which is only displayed, to equity.
 */
export const InstrumentFileEntrySchema = z
  .object({
    ...spec,
    assetClass: AssetClassSchema.default("equity"),
    pricePrecision: spec.pricePrecision.optional(),
    sizePrecision: spec.sizePrecision.optional(),
    startPrice: spec.startPrice.default(100),
    drift: spec.drift.default(0),
    volatility: spec.volatility.default(0),
    spreadBps: spec.spreadBps.default(0),
  })
  .strict();
export type InstrumentFileEntry = z.input<typeof InstrumentFileEntrySchema>;

const COLUMNS = Object.keys(InstrumentFileEntrySchema.shape);
const TEXT_COLUMNS = new Set(["symbol", "currency", "assetClass"]);

/**
 * The instruments of an instruments file's text: JSON (an array of entries, or `{ "instruments":
 * [...] }`) or CSV (a header naming the columns, then one instrument a line). A bad entry is a
 * ConfigError naming the file, the line (CSV) or entry (JSON) and the field.
 */
export function parseInstrumentsFile(text: string, source: string): Instrument[] {
  const body = text.replace(/^\uFEFF/, "").trim();
  if (body === "") throw new ConfigError(`${source}: no instruments`);
  const entries = body.startsWith("[") || body.startsWith("{") ? jsonEntries(body, source) : csvEntries(body, source);
  if (entries.length === 0) throw new ConfigError(`${source}: no instruments`);
  const seen = new Set<string>();
  return entries.map(({ where, value }) => {
    const parsed = InstrumentFileEntrySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`${where}: ${issue.path.join(".") || "entry"}: ${issue.message}`);
    }
    const entry = parsed.data;
    if (seen.has(entry.symbol)) throw new ConfigError(`${where}: symbol: "${entry.symbol}" is defined twice`);
    seen.add(entry.symbol);
    try {
      return defineInstrument({
        ...entry,
        pricePrecision: entry.pricePrecision ?? decimalsOf(entry.priceIncrement),
        sizePrecision: entry.sizePrecision ?? decimalsOf(entry.sizeIncrement),
      });
    } catch (error) {
      throw new ConfigError(`${where}: ${(error as Error).message}`);
    }
  });
}

/** The base universe with the file's instruments: a symbol in both takes the file's definition, in place; new ones follow, in file order. */
export function mergeInstruments(base: readonly Instrument[], extra: readonly Instrument[]): Instrument[] {
  const bySymbol = new Map(extra.map((i) => [i.symbol, i]));
  const merged = base.map((i) => bySymbol.get(i.symbol) ?? i);
  const known = new Set(base.map((i) => i.symbol));
  return [...merged, ...extra.filter((i) => !known.has(i.symbol))];
}

interface Entry {
  where: string;
  value: unknown;
}

function jsonEntries(body: string, source: string): Entry[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new ConfigError(`${source}: not JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(json) ? json : (json as { instruments?: unknown }).instruments;
  if (!Array.isArray(list))
    throw new ConfigError(`${source}: expected an array of instruments or { "instruments": [...] }`);
  return list.map((value, i) => ({ where: `${source}: instruments[${i}]`, value }));
}

function csvEntries(body: string, source: string): Entry[] {
  const lines = body.split("\n");
  const header = lines[0]!.split(",").map((c) => c.trim());
  for (const column of header)
    if (!COLUMNS.includes(column))
      throw new ConfigError(`${source}:1: header: unknown column "${column}"; columns: ${COLUMNS.join(", ")}`);
  const entries: Entry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const where = `${source}:${i + 1}`;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== header.length)
      throw new ConfigError(`${where}: row: expected ${header.length} fields, got ${cells.length}`);
    const value: Record<string, unknown> = {};
    header.forEach((column, c) => {
      const cell = cells[c]!;
      if (cell === "") return; // an empty cell takes the default
      if (TEXT_COLUMNS.has(column)) value[column] = cell;
      else {
        const x = Number(cell);
        if (!Number.isFinite(x)) throw new ConfigError(`${where}: ${column}: "${cell}" is not a number`);
        value[column] = x;
      }
    });
    entries.push({ where, value });
  }
  return entries;
}

/** Decimals of an increment as written (0.25 -> 2, 1e-7 -> 7, 5 -> 0). */
function decimalsOf(increment: number): number {
  const [mantissa = "", exponent = "0"] = String(increment).split("e");
  const fraction = mantissa.split(".")[1] ?? "";
  return Math.max(0, fraction.length - Number(exponent));
}
