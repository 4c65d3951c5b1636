/**
 * `tickflow doctor vm`: is this machine fit to run the platform? The checks are pure functions
 * over what Linux reports (/proc/loadavg, /proc/meminfo, statfs), so they are tested on crafted
 * inputs; collectVm reads the real ones.
 */
import { existsSync } from "node:fs";
import { readFile, statfs } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { formatBytes, gradeAbove, gradeBelow, worst, type Check, type Thresholds } from "./report";

export interface VmThresholds {
  /** 5-minute load average divided by the CPU count. */
  loadPerCore: Thresholds;
  /** MemAvailable as a percentage of MemTotal; lower is worse. */
  memoryAvailablePct: Thresholds;
  /** Swap in use as a percentage of SwapTotal. */
  swapUsedPct: Thresholds;
  /** Space, and inodes, in use as a percentage of what is usable, per folder. */
  diskUsedPct: Thresholds;
}

/**
 * Load above one runnable task per core means work waits for a CPU (Kafka's and the workers'
 * latencies climb); 20% memory left is where the page cache Kafka reads from starts to shrink;
 * swap in use stalls a JVM's garbage collection; a full disk stops the broker.
 */
export const VM_DEFAULTS: VmThresholds = {
  loadPerCore: { warn: 1, crit: 2 },
  memoryAvailablePct: { warn: 20, crit: 10 },
  swapUsedPct: { warn: 25, crit: 50 },
  diskUsedPct: { warn: 80, crit: 90 },
};

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
}

/** /proc/loadavg: "0.20 0.73 0.67 1/185 23761". */
export function parseLoadavg(text: string): LoadAverage {
  const [one, five, fifteen] = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if ([one, five, fifteen].some((x) => x === undefined || !Number.isFinite(x)))
    throw new Error(`not /proc/loadavg content: "${text.trim().slice(0, 80)}"`);
  return { one: one!, five: five!, fifteen: fifteen! };
}

/** /proc/meminfo as bytes per field ("MemAvailable:   23782624 kB"). */
export function parseMeminfo(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^(\S+):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (match) fields[match[1]!] = Number(match[2]) * (match[3] ? 1024 : 1);
  }
  return fields;
}

function field(meminfo: Record<string, number>, name: string): number {
  const value = meminfo[name];
  // MemAvailable exists since Linux 3.14 (2014)
  if (value === undefined) throw new Error(`/proc/meminfo has no ${name} (Linux 3.14 or newer reports it)`);
  return value;
}

const pct = (x: number) => `${x.toFixed(1)}%`;

export function checkLoad(load: LoadAverage, cpuCount: number, t: Thresholds): Check {
  const perCore = load.five / cpuCount;
  const status = gradeAbove(perCore, t);
  const advice =
    status === "OK" ? "" : ": work waits for a CPU; find the busy processes (top) or give the machine more cores";
  return {
    name: "cpu load",
    status,
    summary: `${perCore.toFixed(2)} per core over 5 min (load ${load.one} ${load.five} ${load.fifteen} on ${cpuCount} cores)${advice}`,
    data: { ...load, cpus: cpuCount, perCore, thresholds: t },
  };
}

export function checkMemory(meminfo: Record<string, number>, t: Thresholds): Check {
  const total = field(meminfo, "MemTotal");
  const available = field(meminfo, "MemAvailable");
  const availablePct = (available / total) * 100;
  const status = gradeBelow(availablePct, t);
  const advice =
    status === "OK"
      ? ""
      : ": processes will swap or be OOM-killed; stop something or add memory (the broker alone takes up to 1 GiB of heap)";
  return {
    name: "memory",
    status,
    summary: `${formatBytes(available)} available of ${formatBytes(total)} (${pct(availablePct)})${advice}`,
    data: { totalBytes: total, availableBytes: available, availablePct, thresholds: t },
  };
}

export function checkSwap(meminfo: Record<string, number>, t: Thresholds): Check {
  const total = field(meminfo, "SwapTotal");
  if (total === 0)
    return {
      name: "swap",
      status: "OK",
      summary: "no swap configured",
      data: { totalBytes: 0, usedBytes: 0, usedPct: 0, thresholds: t },
    };
  const used = total - field(meminfo, "SwapFree");
  const usedPct = (used / total) * 100;
  const status = gradeAbove(usedPct, t);
  const advice =
    status === "OK"
      ? ""
      : ": memory was short; swapped-out pages stall the JVM and Node (check memory, restart what grew)";
  return {
    name: "swap",
    status,
    summary: `${formatBytes(used)} used of ${formatBytes(total)} (${pct(usedPct)})${advice}`,
    data: { totalBytes: total, usedBytes: used, usedPct, thresholds: t },
  };
}

/** What statfs(2) reports; Node's fs.statfs gives these fields. */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/**
 * Space in use like df's Use%: used / (used + available to unprivileged users), so the blocks
 * reserved for root count as full. Inodes too, where the file system has a fixed number
 * (a Kafka log dir holds several files per segment).
 */
export function checkDisk(label: string, folder: string, measuredOn: string, stats: FsStats, t: Thresholds): Check {
  const used = stats.blocks - stats.bfree;
  const usedPct = used + stats.bavail === 0 ? 0 : (used / (used + stats.bavail)) * 100;
  const inodesPct = stats.files > 0 ? ((stats.files - stats.ffree) / stats.files) * 100 : null;
  const status = worst([gradeAbove(usedPct, t), inodesPct === null ? "OK" : gradeAbove(inodesPct, t)]);
  const where = measuredOn === folder ? folder : `${folder}, not created yet: measured on ${measuredOn}`;
  const inodes = inodesPct === null ? "" : `, inodes ${pct(inodesPct)} used`;
  const advice =
    status === "OK"
      ? ""
      : ": a full disk stops Kafka and Prometheus writing; remove old data (e.g. unused broker instances under kafka/ in the cache) or grow the disk";
  return {
    name: `disk ${label}`,
    status,
    summary: `${pct(usedPct)} used, ${formatBytes(stats.bavail * stats.bsize)} free${inodes} (${where})${advice}`,
    data: {
      folder,
      measuredOn,
      usedPct,
      freeBytes: stats.bavail * stats.bsize,
      inodesUsedPct: inodesPct,
      thresholds: t,
    },
  };
}

/** The folder itself, or its nearest existing ancestor: a cache not created yet will live on that file system. */
export function existingAncestor(folder: string): string {
  let current = folder;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

function unreadable(name: string, error: unknown): Check {
  return {
    name,
    status: "WARN",
    summary: `cannot measure: ${(error as Error).message} (doctor vm reads Linux's /proc and statfs)`,
  };
}

/** Measures this machine: load, memory, swap, and the disk of each folder. */
export async function collectVm(folders: { label: string; path: string }[], t: VmThresholds): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    checks.push(checkLoad(parseLoadavg(await readFile("/proc/loadavg", "utf8")), cpus().length, t.loadPerCore));
  } catch (error) {
    checks.push(unreadable("cpu load", error));
  }
  try {
    const meminfo = parseMeminfo(await readFile("/proc/meminfo", "utf8"));
    checks.push(checkMemory(meminfo, t.memoryAvailablePct), checkSwap(meminfo, t.swapUsedPct));
  } catch (error) {
    checks.push(unreadable("memory", error));
  }
  for (const { label, path } of folders) {
    const measuredOn = existingAncestor(path);
    try {
      checks.push(checkDisk(label, path, measuredOn, await statfs(measuredOn), t.diskUsedPct));
    } catch (error) {
      checks.push(unreadable(`disk ${label}`, error));
    }
  }
  return checks;
}
