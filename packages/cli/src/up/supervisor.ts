import { spawn, type ChildProcess } from "node:child_process";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd: string;
  /** Answers 2xx-5xx once the process is up (any HTTP answer counts: health may still be degraded). */
  readyUrl?: string;
}

const RESTART_BACKOFF_MS = [1_000, 2_000, 5_000, 10_000];
const STOP_GRACE_MS = 20_000;

/** One line of a child's output, made readable: pino JSON becomes "LEVEL msg key=value". */
export function formatLine(name: string, line: string): string {
  const label = name.padEnd(11);
  if (!line.startsWith("{")) return `${label}| ${line}`;
  try {
    const {
      level,
      msg,
      time: _t,
      pid: _p,
      hostname: _h,
      service: _s,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const levels: Record<number, string> = {
      10: "trace",
      20: "debug",
      30: "info",
      40: "warn",
      50: "error",
      60: "fatal",
    };
    const extra = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    return `${label}| ${(levels[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? "")}${extra ? `  ${extra}` : ""}`;
  } catch {
    return `${label}| ${line}`;
  }
}

/**
 * A child process kept running the way an orchestrator would: its output is prefixed and
 * printed, a crash (a non-zero exit or a kill it did not send) restarts it with backoff, and
 * stop() sends SIGTERM so it drains, then SIGKILL if it does not.
 */
export class Supervised {
  private child: ChildProcess | null = null;
  private stopping = false;
  private crashes = 0;
  private misconfigured = false;

  constructor(
    readonly spec: ProcessSpec,
    private readonly print: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.launch();
    if (this.spec.readyUrl) await this.waitReady(this.spec.readyUrl);
  }

  private launch(): void {
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let partial = "";
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) this.print(formatLine(this.spec.name, line));
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      // Crash-only services exit 0 only when told to stop (Ctrl-C reaches the whole process
      // group, so a child may hear it before this supervisor does): that is not a crash. Exit 2
      // is bad configuration, which a restart cannot mend: it is reported, not retried.
      if (this.stopping || code === 0) return;
      if (code === 2) {
        this.misconfigured = true;
        this.print(formatLine(this.spec.name, "exited 2 (bad configuration, see above); not restarting"));
        return;
      }
      const delay = RESTART_BACKOFF_MS[Math.min(this.crashes, RESTART_BACKOFF_MS.length - 1)]!;
      this.crashes += 1;
      this.print(
        formatLine(this.spec.name, `exited (code ${code}, signal ${signal}); restarting in ${delay / 1000} s`),
      );
      setTimeout(() => {
        if (!this.stopping) this.launch();
      }, delay);
    });
  }

  private async waitReady(url: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.misconfigured)
        throw new Error(`${this.spec.name} exited with bad configuration (exit 2); its log above says which variable`);
      try {
        await fetch(url, { signal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`${this.spec.name} did not answer on ${url} within ${timeoutMs / 1000} s`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}
