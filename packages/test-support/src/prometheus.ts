/**
 * Debian's Prometheus (2.42) and promtool for tests: found on PATH or the test fails saying
 * what to install (never a silent skip), and a real Prometheus server on a free port with a
 * throwaway data folder, stopped and removed afterwards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./ports";
import { until } from "./wait";
import { stringify } from "yaml";

/** The path of a Prometheus tool, or an error that says how to get it. */
export function requireTool(name: "prometheus" | "promtool"): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this folder
    }
  }
  const install = `apt-get install prometheus (Debian/Ubuntu: the package brings both prometheus and promtool)`;
  throw new Error(
    process.env.CI === "true"
      ? `${name} is not on PATH, and CI must run these tests: the CI machine must ${install}.`
      : `${name} is not on PATH: install it with sudo ${install}, then run the tests again.`,
  );
}

export interface RunningPrometheus {
  url: string;
  /** The folder holding prometheus.yml and data/. */
  dir: string;
  configFile: string;
  /** What Prometheus logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus with `config` (an object written as YAML) on a free loopback port and
 * resolves once /-/ready answers.
 */
export async function startPrometheus(config: object): Promise<RunningPrometheus> {
  const binary = requireTool("prometheus");
  const dir = await mkdtemp(join(tmpdir(), "tickflow-prometheus-"));
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.splice(0, 100);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const log = () => output.join("").split("\n").slice(-30).join("\n");

  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(`Prometheus to be ready on ${url}`, async () => {
      if (exited) throw new Error(`prometheus exited:\n${log()}`);
      const response = await fetch(`${url}/-/ready`);
      if (!response.ok) throw new Error(`/-/ready answered ${response.status}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dir, configFile, log, stop };
}

interface Target {
  labels: { job: string; instance: string };
  health: "up" | "down" | "unknown";
}

/** Waits until every job has a target that was scraped (up or down, no longer unknown) at least `samples` times. */
export async function waitForScrapes(
  prometheus: RunningPrometheus,
  jobs: string[],
  samples = 2,
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    `${samples} scrapes of ${jobs.join(", ")}`,
    async () => {
      const targets = (
        (await (await fetch(`${prometheus.url}/api/v1/targets?state=active`)).json()) as {
          data: { activeTargets: Target[] };
        }
      ).data.activeTargets;
      for (const job of jobs) {
        if (!targets.some((t) => t.labels.job === job && t.health !== "unknown"))
          throw new Error(`job ${job} not scraped yet`);
      }
      const query = new URLSearchParams({ query: "min(count_over_time(up[1m]))" });
      const body = (await (await fetch(`${prometheus.url}/api/v1/query?${query}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      const fewest = Number(body.data.result[0]?.value[1] ?? 0);
      if (fewest < samples) throw new Error(`only ${fewest} samples of up so far`);
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nPrometheus log:\n${prometheus.log()}`, { cause: error });
  });
}
