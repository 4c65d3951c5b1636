import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { bin, root } from "../run-tickflow";

/** The ports `tickflow up` serves on (DESIGN.md, Services and ports). */
export const PLATFORM = {
  marketData: "http://127.0.0.1:7001",
  strategy: "http://127.0.0.1:7002",
  projector: "http://127.0.0.1:7003",
  gateway: "http://127.0.0.1:8000",
  web: "http://127.0.0.1:8080",
} as const;

/**
 * The whole platform as `npm start` runs it (the `tickflow up` supervisor with the workers and
 * the gateway as its children, the dashboard's server inside it), on a given broker and topic
 * prefix. It remembers every line the supervisor prints, so a restart (which an orchestrator's
 * restart would hide) is seen.
 */
export class Platform {
  readonly output: string[] = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const keep = (chunk: Buffer) => this.output.push(...chunk.toString().split("\n").filter(Boolean));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
  }

  static async start(env: Record<string, string>): Promise<Platform> {
    const child = spawn(process.execPath, [bin, "up", "--no-prometheus"], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
    });
    const platform = new Platform(child);
    const deadline = Date.now() + 180_000;
    while (!platform.output.some((l) => l.includes("Press Ctrl-C"))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`tickflow up did not start:\n${platform.output.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return platform;
  }

  /** The supervisor runs, and none of its services exited since it started. */
  alive(): { ok: boolean; detail: string } {
    if (this.child.exitCode !== null)
      return { ok: false, detail: `tickflow up exited ${this.child.exitCode}:\n${this.output.slice(-30).join("\n")}` };
    const exits = this.output.filter((l) => /exited \(code/.test(l));
    return { ok: exits.length === 0, detail: exits.join("\n") };
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once("exit", (code) => r(code)));
    this.child.kill("SIGINT");
    return exited;
  }
}

/** Resident memory of a process, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  if (!line) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** The pid of the process listening on a local TCP port (ss, from iproute2). */
export function pidOnPort(port: number): number {
  const out = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`nothing listens on ${port} (ss: ${out.trim() || "no output"})`);
  return Number(pid);
}
