import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { MemoryBus } from "@tickflow/bus";
import { createMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { cacheHome, KafkaToolsMissingError, startKafka, stopKafka } from "@tickflow/local-kafka";
import { serveEmbeddedDatabase } from "@tickflow/read-side/local";
import { UsageError } from "../errors";
import { startStaticServer } from "../up/static-server";
import { formatLine, Supervised, type ProcessSpec } from "../up/supervisor";

const UP_HELP = `Usage: tickflow up [--bus auto|kafka|memory] [--no-web] [--no-prometheus]

Runs the whole platform on this machine and stops everything it started on Ctrl-C:
  broker       KAFKA_BROKERS if set; else the local Apache Kafka launcher (Java 17+, Maven once);
               else, when Java or Maven is missing, the in-memory bus (everything in one process)
  market-data  http://127.0.0.1:7001   simulated quotes -> md.quotes.v1
  strategy     http://127.0.0.1:7002   quotes -> bars, signals, orders, fills, positions
  read side    DATABASE_URL if set; else embedded PostgreSQL (PGlite) on 127.0.0.1:5433, its data
               under the cache (in memory with the in-memory bus)
  projector    http://127.0.0.1:7003   the engine's outputs -> the read side, exactly once
  gateway      http://127.0.0.1:8000   the public API under /api (commands need a trader's token)
  web          http://127.0.0.1:8080   the dashboard (built with Vite when its sources changed)
  prometheus   http://127.0.0.1:9091   when the prometheus binary is on PATH

Options:
  --bus <mode>       auto (default), kafka (fail without a broker) or memory
  --no-web           do not build or serve the dashboard
  --no-prometheus    do not run Prometheus
  -h, --help         show this help

Workers run as separate processes on Kafka and are restarted if they crash, as an orchestrator
would; on the in-memory bus they share this process. Worker settings come from the environment
(see the README): MD_*, ST_*, PJ_*, KAFKA_*, DATABASE_URL, AUTH_*, LOG_LEVEL. The dashboard's log-in
users are AUTH_USERS, or a trader and a viewer with passwords made for the run (printed).
`;

const ROOT = resolve(import.meta.dirname, "../../../..");

/**
 * The local gateway's users and signing key: AUTH_USERS and AUTH_SECRET when set; else a trader
 * and a viewer with passwords made for this run (printed, so whoever started it can log in) and
 * a random key, so no token outlives the run.
 */
function localAuth(env: NodeJS.ProcessEnv): { env: { AUTH_SECRET: string; AUTH_USERS: string }; note: string } {
  const secret = env.AUTH_SECRET ?? randomBytes(32).toString("hex");
  if (env.AUTH_USERS)
    return { env: { AUTH_SECRET: secret, AUTH_USERS: env.AUTH_USERS }, note: "as a user of AUTH_USERS" };
  const password = () => randomBytes(12).toString("base64url");
  const users = [
    { username: "trader", password: password(), role: "trader" },
    { username: "viewer", password: password(), role: "viewer" },
  ];
  return {
    env: { AUTH_SECRET: secret, AUTH_USERS: JSON.stringify(users) },
    note: `${users.map((u) => `${u.username} / ${u.password}`).join(", ")}   (made for this run; set AUTH_USERS to choose)`,
  };
}
const PORTS = {
  marketData: 7001,
  strategy: 7002,
  projector: 7003,
  database: 5433,
  gateway: 8000,
  web: 8080,
  prometheus: 9091,
} as const;
const HOST = "127.0.0.1";

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function onPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  return null;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the dashboard when web/dist is missing or older than its sources. */
async function buildWeb(print: (line: string) => void): Promise<string> {
  const web = join(ROOT, "web");
  const dist = join(web, "dist");
  const index = join(dist, "index.html");
  if (!existsSync(index) || statSync(index).mtimeMs < newestMtime(web)) {
    print("web        | building the dashboard with Vite");
    await promisify(execFile)("npm", ["run", "build", "-w", "@tickflow/web"], { cwd: ROOT, maxBuffer: 32 << 20 });
  }
  return dist;
}

/** A start-up step finished after Ctrl-C: what started so far is stopped, nothing more starts. */
class Interrupted extends Error {}

/** Runs `tickflow up`; returns the exit code once stopped. */
export async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      bus: { type: "string", default: "auto" },
      "no-web": { type: "boolean", default: false },
      "no-prometheus": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(UP_HELP);
    return 0;
  }
  if (!["auto", "kafka", "memory"].includes(values.bus))
    throw new UsageError(`--bus must be auto, kafka or memory, got "${values.bus}"`);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const prometheus = values["no-prometheus"] ? null : onPath("prometheus");

  // Signals are ours from the start: Ctrl-C during start-up (a Maven fetch, the broker, a build)
  // must still stop what was started, the detached broker above all.
  let signal: string | null = null;
  let running = false;
  let signalled!: (name: string) => void;
  const signalReceived = new Promise<string>((resolve) => (signalled = resolve));
  const onSignal = (name: NodeJS.Signals) => {
    if (signal) return print(`${name}: already stopping`);
    signal = name;
    print(`\n${name}: stopping${running ? "" : " once the current start-up step ends"}`);
    signalled(name);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  /** Awaits a start-up step, then gives up the start if a signal came meanwhile. */
  const step = async <T>(work: Promise<T>): Promise<T> => {
    const result = await work;
    if (signal) throw new Interrupted();
    return result;
  };

  const wanted: [string, number][] = [
    ["market-data", PORTS.marketData],
    ["strategy", PORTS.strategy],
    ["projector", PORTS.projector],
    ...(process.env.DATABASE_URL ? [] : ([["embedded database", PORTS.database]] as [string, number][])),
    ["gateway", PORTS.gateway],
    ...(values["no-web"] ? [] : ([["web", PORTS.web]] as [string, number][])),
    ...(prometheus ? ([["prometheus", PORTS.prometheus]] as [string, number][]) : []),
  ];
  const busy = [];
  for (const [name, port] of wanted) if (!(await portFree(port))) busy.push(`${name} ${port}`);
  if (busy.length > 0)
    throw new UsageError(
      `ports already in use: ${busy.join(", ")}; is the platform already running? Stop it, or free the ports.`,
    );

  // The broker: KAFKA_BROKERS, else the local launcher, else (no Java/Maven) the in-memory bus.
  let brokers: string | null = null;
  let startedKafka = false;
  let brokerNote: string;
  if (values.bus !== "memory" && process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS;
    brokerNote = `${brokers} (KAFKA_BROKERS)`;
  } else if (values.bus !== "memory") {
    try {
      const started = await startKafka();
      startedKafka = started.started;
      if (signal) {
        if (startedKafka) await stopKafka();
        return 130;
      }
      brokers = started.brokers;
      brokerNote = `${brokers} (local Apache Kafka${started.started ? "" : ", already running"})`;
    } catch (error) {
      if (!(error instanceof KafkaToolsMissingError) || values.bus === "kafka") throw error;
      brokerNote = "in-memory bus (nothing is persisted)";
      print(
        `\nNOTICE: ${error.message}\nNOTICE: running on the in-memory bus instead: everything in this process, nothing persisted.\n`,
      );
    }
  } else brokerNote = "in-memory bus (nothing is persisted)";

  const stops: (() => Promise<void>)[] = [];
  /** Awaits something that starts a service and registers its stop before the signal check, so an interrupted start still stops it. */
  const owned = async <T>(work: Promise<T>, stopOf: (started: T) => () => Promise<void>): Promise<T> => {
    const started = await work;
    stops.push(stopOf(started));
    if (signal) throw new Interrupted();
    return started;
  };
  /** Memory mode: a service that fails in this process ends the run, as a crash would end its own process. */
  let failed!: (error: unknown) => void;
  const failure = new Promise<unknown>((resolve) => (failed = resolve));
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => print(`stop failed: ${String(error)}`));
    if (startedKafka) await stopKafka();
  };
  const auth = localAuth(process.env);
  let databaseUrl: string | undefined;
  let databaseNote = "DATABASE_URL";
  try {
    // The read side: DATABASE_URL, else embedded PostgreSQL (PGlite) served on a local port that
    // the projector and the gateway both connect to. On Kafka it keeps its data beside the
    // broker's. On the in-memory bus the offsets start over every run, and under a topic prefix
    // (a namespace of its own on a shared broker) event ids repeat across namespaces: there the
    // database lives in memory and starts empty with the run.
    databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const dataDir = brokers && !process.env.KAFKA_TOPIC_PREFIX ? join(cacheHome(), "read-side", "pglite") : undefined;
      if (dataDir) await mkdir(dataDir, { recursive: true });
      const embedded = await owned(
        serveEmbeddedDatabase({ dataDir, host: HOST, port: PORTS.database }),
        (db) => () => db.close(),
      );
      databaseUrl = embedded.url;
      databaseNote = `embedded PostgreSQL (PGlite) at ${HOST}:${PORTS.database}, ${dataDir ? `data in ${dataDir}` : "in memory"}`;
    }
    if (brokers) {
      const node = (name: string, script: string, env: Record<string, string>, port: number): ProcessSpec => ({
        name,
        command: process.execPath,
        args: ["--import", "tsx", script],
        cwd: ROOT,
        env: { KAFKA_BROKERS: brokers!, ...env },
        readyUrl: `http://${HOST}:${port}/health`,
      });
      for (const spec of [
        node(
          "market-data",
          "packages/market-data/src/main.ts",
          { MD_HTTP_PORT: String(PORTS.marketData) },
          PORTS.marketData,
        ),
        node("strategy", "packages/strategy/src/main.ts", { ST_HTTP_PORT: String(PORTS.strategy) }, PORTS.strategy),
        node(
          "projector",
          "packages/projector/src/main.ts",
          { PJ_HTTP_PORT: String(PORTS.projector), DATABASE_URL: databaseUrl },
          PORTS.projector,
        ),
        node(
          "gateway",
          "packages/gateway/src/main.ts",
          { GATEWAY_PORT: String(PORTS.gateway), DATABASE_URL: databaseUrl, ...auth.env },
          PORTS.gateway,
        ),
      ]) {
        const service = new Supervised(spec, print);
        stops.push(() => service.stop());
        await step(service.start());
      }
    } else {
      // One process: the bus lives in memory, so every service must share it.
      const [
        { startMarketData, marketDataConfig },
        { startStrategy, strategyWorkerConfig },
        { startProjector, projectorConfig },
        { startLocalGateway, gatewayConfig },
        { openDatabase },
      ] = await Promise.all([
        import("@tickflow/market-data"),
        import("@tickflow/strategy"),
        import("@tickflow/projector"),
        import("@tickflow/gateway"),
        import("@tickflow/read-side"),
      ]);
      const bus = new MemoryBus();
      // the same readable lines as the separate processes' output
      const logger = (service: string) =>
        pino(
          { level: process.env.LOG_LEVEL ?? "info", base: { service } },
          { write: (line: string) => print(formatLine(service, line.trim())) },
        );
      const md = await owned(
        startMarketData({
          config: marketDataConfig({ ...process.env, MD_HTTP_PORT: String(PORTS.marketData) }),
          bus,
          metrics: createMetrics({}, "market-data"),
          logger: logger("market-data"),
        }),
        (s) => () => s.stop(),
      );
      const st = await owned(
        startStrategy({
          config: strategyWorkerConfig({ ...process.env, ST_HTTP_PORT: String(PORTS.strategy) }),
          bus,
          metrics: createMetrics({}, "strategy"),
          logger: logger("strategy"),
        }),
        (s) => () => s.stop(),
      );
      const target = { kind: "postgres" as const, url: databaseUrl! };
      const projectorDb = openDatabase(target, { maxConnections: 2 });
      stops.push(() => projectorDb.destroy());
      const pj = await owned(
        startProjector({
          config: projectorConfig({ ...process.env, PJ_HTTP_PORT: String(PORTS.projector), DATABASE_URL: databaseUrl }),
          bus,
          db: projectorDb,
          target,
          metrics: createMetrics({}, "projector"),
          logger: logger("projector"),
        }),
        (s) => () => s.stop(),
      );
      const gw = await owned(
        startLocalGateway({
          config: gatewayConfig({
            ...process.env,
            GATEWAY_PORT: String(PORTS.gateway),
            DATABASE_URL: databaseUrl,
            ...auth.env,
          }),
          bus,
          metrics: createMetrics({}, "gateway"),
          logger: logger("gateway"),
        }),
        (s) => () => s.stop(),
      );
      for (const service of [md, st, pj, gw]) service.done.catch(failed);
    }
    if (!values["no-web"]) {
      const root = await step(buildWeb(print));
      await owned(
        startStaticServer({ root, port: PORTS.web, host: HOST, apiOrigin: `http://${HOST}:${PORTS.gateway}` }),
        (web) => () => web.close(),
      );
    }
    if (prometheus) {
      const data = join(cacheHome(), "prometheus");
      await mkdir(data, { recursive: true });
      const service = new Supervised(
        {
          name: "prometheus",
          command: prometheus,
          args: [
            `--config.file=${join(ROOT, "monitoring/prometheus/prometheus.local.yml")}`,
            `--web.listen-address=${HOST}:${PORTS.prometheus}`,
            `--storage.tsdb.path=${data}`,
            "--log.level=warn",
          ],
          cwd: ROOT,
          readyUrl: `http://${HOST}:${PORTS.prometheus}/-/ready`,
        },
        print,
      );
      stops.push(() => service.stop());
      await step(service.start());
    }
  } catch (error) {
    await stopAll();
    if (error instanceof Interrupted) return 130;
    throw error;
  }

  print(
    [
      "",
      "Tickflow is running:",
      `  broker       ${brokerNote}`,
      `  market-data  http://${HOST}:${PORTS.marketData}/quotes`,
      `  strategy     http://${HOST}:${PORTS.strategy}/strategies`,
      `  read side    ${databaseNote}`,
      `  projector    http://${HOST}:${PORTS.projector}/health`,
      `  gateway      http://${HOST}:${PORTS.gateway}/api/health   (OpenAPI: /api/openapi.json)`,
      values["no-web"] ? "" : `  dashboard    http://${HOST}:${PORTS.web}/`,
      `  log in       ${auth.note}`,
      prometheus
        ? `  prometheus   http://${HOST}:${PORTS.prometheus}/`
        : `  prometheus   not running (install it: apt-get install prometheus)`,
      "Press Ctrl-C to stop everything.",
      "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
  running = true;
  const ended = await Promise.race([signalReceived.then(() => null), failure]);
  if (ended !== null) print(`\na service failed: ${String(ended)}; stopping`);
  await stopAll();
  print("stopped");
  return ended === null ? 0 : 1;
}
