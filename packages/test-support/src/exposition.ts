import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const tickflowLines = (exposition: string) => exposition.split("\n").filter((l) => l.startsWith("tickflow_"));

/**
 * The catalog's series a Prometheus exposition holds (name and labels, without their values):
 * what a label leak grows. Node's own series (GC kinds and the like) come and go, so they are left out.
 */
export function tickflowSeries(exposition: string): Set<string> {
  return new Set(tickflowLines(exposition).map((l) => l.slice(0, l.lastIndexOf(" "))));
}

/** Bytes of the catalog's lines in an exposition. */
export function tickflowBytes(exposition: string): number {
  return tickflowLines(exposition).join("\n").length;
}

/** A full garbage collection now, so that heap figures before and after a flood compare what is kept. */
export function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}
