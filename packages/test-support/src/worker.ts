import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { freePort } from "./ports";
import { until } from "./wait";

const root = resolve(import.meta.dirname, "../../..");

type WorkerName = "market-data" | "strategy" | "projector";
const PORT_VARIABLES: Record<WorkerName, string> = {
  "market-data": "MD_HTTP_PORT",
  strategy: "ST_HTTP_PORT",
  projector: "PJ_HTTP_PORT",
};

/**
 * A worker as a real child process (`node --import tsx .../main.ts`), so kill -9 is real. With
 * `supervise`, it is restarted when it exits on its own, as an orchestrator would.
 */
export class Worker {
  private child: ChildProcess | null = null;
  private stopping = false;
  readonly output: string[] = [];
  restarts = 0;

  private constructor(
    readonly name: WorkerName,
    private readonly env: Record<string, string>,
    readonly port: number,
    private readonly supervise: boolean,
  ) {}

  static async start(
    name: WorkerName,
    env: Record<string, string>,
    options: { supervise?: boolean } = {},
  ): Promise<Worker> {
    const port = await freePort();
    const worker = new Worker(name, { ...env, [PORT_VARIABLES[name]]: String(port) }, port, options.supervise ?? false);
    await worker.spawn();
    return worker;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async spawn(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", `packages/${this.name}/src/main.ts`], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "info", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split("\n").filter(Boolean));
      if (this.output.length > 2_000) this.output.splice(0, 1_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.on("exit", (code, signal) => {
      this.output.push(`[harness] ${this.name} exited code=${code} signal=${signal}`);
      if (this.child === child) this.child = null;
      if (this.supervise && !this.stopping && signal !== "SIGKILL") {
        this.restarts += 1;
        setTimeout(() => void this.spawn(), 500);
      }
    });
    // an unsupervised worker that exits while starting will not answer: fail now, with its output
    const exitedWhileStarting = new Promise<never>((_, reject) =>
      child.once("exit", () =>
        reject(new Error(`${this.name} exited while starting:\n${this.output.slice(-20).join("\n")}`)),
      ),
    );
    exitedWhileStarting.catch(() => {});
    const answering = until(`${this.name} to answer on ${this.port}`, () => fetch(`${this.url}/health`), 60_000);
    await (this.supervise ? answering : Promise.race([answering, exitedWhileStarting]));
  }

  health<T = Record<string, unknown>>(): Promise<T> {
    return fetch(`${this.url}/health`).then((r) => r.json() as Promise<T>);
  }

  /** kill -9, then start again: the crash a worker must survive. */
  async crashAndRestart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  /** kill -9, and leave it down (start it again with restart()). */
  async kill(): Promise<void> {
    const child = this.child!;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Starts a worker that kill() left down. */
  async restart(): Promise<void> {
    await this.spawn();
  }

  async stop(): Promise<number | null> {
    this.stopping = true;
    const child = this.child;
    if (!child) return null;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}
