import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheHome } from "@tickflow/local-kafka";
import {
  checkDisk,
  checkLoad,
  checkMemory,
  checkSwap,
  existingAncestor,
  parseLoadavg,
  parseMeminfo,
  VM_DEFAULTS,
  type FsStats,
} from "../src/doctor/vm";
import { exitCode, gradeAbove, gradeBelow, makeReport, renderReport } from "../src/doctor/report";
import { root, tickflow } from "./run-tickflow";

/** /proc/meminfo as a 24 GiB machine prints it, with the fields the checks read set per case. */
function meminfo(fields: { MemTotal: number; MemAvailable: number; SwapTotal: number; SwapFree: number }): string {
  return [
    `MemTotal:       ${fields.MemTotal} kB`,
    "MemFree:        21750348 kB",
    `MemAvailable:   ${fields.MemAvailable} kB`,
    "Buffers:           68648 kB",
    "Active(anon):     312400 kB",
    `SwapTotal:      ${fields.SwapTotal} kB`,
    `SwapFree:       ${fields.SwapFree} kB`,
    "HugePages_Total:       0",
    "Hugepagesize:       2048 kB",
  ].join("\n");
}

const GiB = 1024 * 1024; // in kB

describe("grading", () => {
  it("grades at the threshold, upwards for usage and downwards for what is left", () => {
    expect([0.99, 1, 1.99, 2].map((x) => gradeAbove(x, { warn: 1, crit: 2 }))).toEqual(["OK", "WARN", "WARN", "CRIT"]);
    expect([20.1, 20, 10.1, 10].map((x) => gradeBelow(x, { warn: 20, crit: 10 }))).toEqual([
      "OK",
      "WARN",
      "WARN",
      "CRIT",
    ]);
  });

  it("takes the worst check for the report and its exit code", () => {
    const report = makeReport("vm", [
      { name: "a", status: "OK", summary: "fine" },
      { name: "longer name", status: "WARN", summary: "look" },
    ]);
    expect([report.status, exitCode(report.status), exitCode("OK"), exitCode("CRIT")]).toEqual(["WARN", 1, 0, 2]);
    expect(renderReport(report)).toBe("tickflow doctor vm: WARN\n  OK    a            fine\n  WARN  longer name  look");
  });
});

describe("doctor vm checks", () => {
  it("reads /proc/loadavg and rejects what is not", () => {
    expect(parseLoadavg("0.20 0.73 0.67 1/185 23761\n")).toEqual({ one: 0.2, five: 0.73, fifteen: 0.67 });
    expect(() => parseLoadavg("hello")).toThrow(/not \/proc\/loadavg content/);
  });

  it("grades the 5-minute load per core", () => {
    const load = (five: number) => parseLoadavg(`9.00 ${five} 0.10 3/200 4242`);
    expect(checkLoad(load(3.2), 4, VM_DEFAULTS.loadPerCore)).toMatchObject({
      name: "cpu load",
      status: "OK",
      summary: "0.80 per core over 5 min (load 9 3.2 0.1 on 4 cores)",
    });
    expect(checkLoad(load(4), 4, VM_DEFAULTS.loadPerCore)).toMatchObject({
      status: "WARN",
      summary: expect.stringMatching(/^1\.00 per core .*: work waits for a CPU/),
    });
    expect(checkLoad(load(9), 4, VM_DEFAULTS.loadPerCore)).toMatchObject({ status: "CRIT", data: { perCore: 2.25 } });
  });

  it("reads /proc/meminfo in bytes, kB fields and plain counts alike", () => {
    const fields = parseMeminfo(meminfo({ MemTotal: 24 * GiB, MemAvailable: 12 * GiB, SwapTotal: 0, SwapFree: 0 }));
    expect(fields).toMatchObject({
      MemTotal: 24 * 1024 ** 3,
      MemAvailable: 12 * 1024 ** 3,
      "Active(anon)": 312400 * 1024,
      HugePages_Total: 0,
    });
  });

  it("grades memory available as a share of the total", () => {
    const memory = (available: number) =>
      checkMemory(
        parseMeminfo(meminfo({ MemTotal: 24 * GiB, MemAvailable: available, SwapTotal: 0, SwapFree: 0 })),
        VM_DEFAULTS.memoryAvailablePct,
      );
    expect(memory(12 * GiB)).toMatchObject({
      name: "memory",
      status: "OK",
      summary: "12.0 GiB available of 24.0 GiB (50.0%)",
    });
    expect(memory(3 * GiB)).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("(12.5%): processes will swap or be OOM-killed"),
    });
    expect(memory(1 * GiB)).toMatchObject({ status: "CRIT" });
  });

  it("says which field is missing from a kernel too old to report MemAvailable", () => {
    expect(() =>
      checkMemory(parseMeminfo("MemTotal: 1000 kB\nMemFree: 10 kB"), VM_DEFAULTS.memoryAvailablePct),
    ).toThrow("/proc/meminfo has no MemAvailable (Linux 3.14 or newer reports it)");
  });

  it("grades swap in use, and is content without swap", () => {
    const swap = (total: number, free: number) =>
      checkSwap(
        parseMeminfo(meminfo({ MemTotal: 24 * GiB, MemAvailable: 12 * GiB, SwapTotal: total, SwapFree: free })),
        VM_DEFAULTS.swapUsedPct,
      );
    expect(swap(0, 0)).toMatchObject({ name: "swap", status: "OK", summary: "no swap configured" });
    expect(swap(4 * GiB, 3.5 * GiB)).toMatchObject({ status: "OK", summary: "512.0 MiB used of 4.0 GiB (12.5%)" });
    expect(swap(4 * GiB, 2.5 * GiB)).toMatchObject({ status: "WARN", data: { usedPct: 37.5 } });
    expect(swap(4 * GiB, 2 * GiB)).toMatchObject({ status: "CRIT", data: { usedPct: 50 } });
    expect(swap(4 * GiB, 1 * GiB)).toMatchObject({ status: "CRIT", data: { usedPct: 75 } });
  });

  it("grades disk space like df (root's reserve counts as used) and inodes, the worse deciding", () => {
    // 100 GiB of 4 KiB blocks, 5% reserved for root
    const blocks = 26_214_400;
    const disk = (usedBlocks: number, usedInodes: number, files = 6_553_600): FsStats => ({
      bsize: 4096,
      blocks,
      bfree: blocks - usedBlocks,
      bavail: blocks - usedBlocks - 1_310_720,
      files,
      ffree: files - usedInodes,
    });
    const t = VM_DEFAULTS.diskUsedPct;
    expect(checkDisk("cache", "/var/cache/tickflow", "/var/cache/tickflow", disk(blocks * 0.5, 1000), t)).toMatchObject(
      {
        name: "disk cache",
        status: "OK",
        summary: "52.6% used, 45.0 GiB free, inodes 0.0% used (/var/cache/tickflow)",
      },
    );
    expect(checkDisk("cache", "/c", "/c", disk(blocks * 0.8, 1000), t)).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("a full disk stops Kafka and Prometheus writing"),
    });
    expect(checkDisk("cache", "/c", "/c", disk(blocks * 0.9, 1000), t)).toMatchObject({ status: "CRIT" });
    // plenty of space, but Kafka's many small segment files used up the inodes
    expect(checkDisk("cache", "/c", "/c", disk(blocks * 0.1, 6_000_000), t)).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("inodes 91.6% used"),
    });
    // file systems without a fixed inode count (btrfs) report 0
    expect(checkDisk("cache", "/c", "/c", disk(blocks * 0.1, 0, 0), t).summary).not.toContain("inodes");
  });

  it("measures a folder not created yet on the file system it will live on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tickflow-doctor-"));
    try {
      expect(existingAncestor(join(dir, "kafka", "default", "logs"))).toBe(dir);
      const check = checkDisk(
        "cache",
        join(dir, "kafka"),
        existingAncestor(join(dir, "kafka")),
        { bsize: 4096, blocks: 100, bfree: 50, bavail: 50, files: 0, ffree: 0 },
        VM_DEFAULTS.diskUsedPct,
      );
      expect(check.summary).toContain(`(${join(dir, "kafka")}, not created yet: measured on ${dir})`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("tickflow doctor vm", () => {
  // Thresholds no machine can reach, or that every machine reaches, make the outcome certain.
  const never = [
    "--load-warn",
    "1000000",
    "--load-crit",
    "1000000",
    "--mem-warn",
    "0",
    "--mem-crit",
    "0",
    "--swap-warn",
    "101",
    "--swap-crit",
    "101",
  ];

  it("exits 0 with every check OK, and reports the cache folder and the repository as JSON", async () => {
    const { code, stdout } = await tickflow([
      "doctor",
      "vm",
      "--json",
      ...never,
      "--disk-warn",
      "101",
      "--disk-crit",
      "101",
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      status: string;
      checks: { name: string; status: string; data: { folder?: string } }[];
    };
    expect(report.status).toBe("OK");
    expect(report.checks.map((c) => c.name)).toEqual(["cpu load", "memory", "swap", "disk cache", "disk repository"]);
    expect(report.checks.find((c) => c.name === "disk cache")!.data.folder).toBe(cacheHome());
    expect(report.checks.find((c) => c.name === "disk repository")!.data.folder).toBe(root);
  });

  it("exits 1 on a WARN and 2 on a CRIT, and takes extra folders", async () => {
    const [warn, crit] = await Promise.all([
      tickflow(["doctor", "vm", ...never, "--disk-warn", "0", "--disk-crit", "101"]),
      tickflow(["doctor", "vm", ...never, "--disk-warn", "0", "--disk-crit", "0", "--path", tmpdir()]),
    ]);
    expect(warn.code).toBe(1);
    expect(warn.stdout).toMatch(/^tickflow doctor vm: WARN\n/);
    expect(crit.code).toBe(2);
    expect(crit.stdout).toMatch(new RegExp(`CRIT  disk ${tmpdir()} `));
  });

  it("refuses thresholds the wrong way round, and options of another doctor, with exit 2", async () => {
    const [order, foreign, unknown] = await Promise.all([
      tickflow(["doctor", "vm", "--disk-warn", "95", "--disk-crit", "90"]),
      tickflow(["doctor", "vm", "--brokers", "x:1"]),
      tickflow(["doctor", "disk"]),
    ]);
    expect(order).toMatchObject({ code: 2, stderr: "tickflow: --disk-warn (95) must be at most --disk-crit (90)\n" });
    expect(foreign).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("tickflow doctor vm does not take --brokers"),
    });
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('expects one of vm, prometheus, kafka, got "disk"'),
    });
  });
});
