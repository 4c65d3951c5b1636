/**
 * Local Apache Kafka without Docker. The jars of the release pinned in pom.xml are fetched once
 * with Maven into a cache outside the repository; the broker runs as a single-node KRaft cluster
 * (one process is broker and controller) detached from the caller, so it outlives the command
 * that started it, like a service.
 *
 * An instance <name> keeps everything in <home>/kafka/<name>/: server.properties, kafka.pid,
 * server.log (log4j), kafkaServer.out (the JVM's own output: crashes before log4j starts) and
 * logs/ (the partitions). Instances on different ports do not touch each other.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { once } from "node:events";
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify, stripVTControlCharacters } from "node:util";

const POM = fileURLToPath(new URL("../pom.xml", import.meta.url));
const LOG4J = fileURLToPath(new URL("../log4j.properties", import.meta.url));
const POM_TEXT = readFileSync(POM, "utf8");

/** The Apache Kafka release the launcher runs: the `kafka.version` property of pom.xml. */
export const KAFKA_VERSION: string = (() => {
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(POM_TEXT);
  if (!match) throw new Error(`${POM} has no <kafka.version> property`);
  return match[1]!;
})();

/** The broker listens on loopback only: it has no authentication. */
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 60_000;
/** Controlled shutdown moves leadership and flushes logs; on one node it usually takes 1-10 s. */
const STOP_GRACE_MS = 30_000;
/** Kafka's start script gives 1 GB; that covers development traffic and the benchmarks. */
const JVM_OPTIONS = [
  "-Xms256m",
  "-Xmx1g",
  "-XX:+UseG1GC",
  "-XX:MaxGCPauseMillis=20",
  "-XX:+ExitOnOutOfMemoryError",
  "-Djava.awt.headless=true",
];
/** Written into the jar folder last; holds the pom's hash, so an edited pom fetches again. */
const JARS_COMPLETE = ".complete";
const INSTALL_HINT =
  "Install Java 17+ and Maven (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless maven; macOS: brew install openjdk@17 maven), " +
  "or set KAFKA_BROKERS=host:port to use an existing broker instead.";

/** The launcher cannot do what was asked; the message says why and what to do. */
export class KafkaLauncherError extends Error {
  override name = "KafkaLauncherError";
}

/** Java or Maven is missing: the local broker cannot run here (the local runner falls back to the in-memory bus). */
export class KafkaToolsMissingError extends KafkaLauncherError {
  override name = "KafkaToolsMissingError";
}

/** Options that can never work (a bad port or instance name), as opposed to a failure to start. */
export class KafkaOptionsError extends KafkaLauncherError {
  override name = "KafkaOptionsError";
}

export interface KafkaLauncherOptions {
  /** PLAINTEXT listener on 127.0.0.1 (default 9092). */
  port?: number;
  /** KRaft controller listener on 127.0.0.1 (default port + 1). */
  controllerPort?: number;
  /** Cache folder for jars and instances (default $TICKFLOW_CACHE_DIR, else $XDG_CACHE_HOME/tickflow, else ~/.cache/tickflow). */
  home?: string;
  /** Instance name: its data, pid and log files live in <home>/kafka/<name>/ (default "default"). */
  name?: string;
  /** Where to look for java (JAVA_HOME, PATH) and mvn (PATH), and their environment (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface KafkaStart {
  /** Bootstrap address for clients, e.g. "127.0.0.1:9092". */
  brokers: string;
  /** False when a broker already answered on the port: nothing was started. */
  started: boolean;
  /** The broker process of this instance, or null when the answering broker is someone else's. */
  pid: number | null;
}

export interface KafkaStatus {
  /** This instance's broker process is alive. */
  running: boolean;
  /** A Kafka broker answers an ApiVersions request on the port. */
  answering: boolean;
  pid: number | null;
  brokers: string;
  dataDir: string;
  logFile: string;
  version: string;
}

interface Instance {
  port: number;
  controllerPort: number;
  brokers: string;
  libDir: string;
  dataDir: string;
  logDirs: string;
  propertiesFile: string;
  pidFile: string;
  logFile: string;
  outFile: string;
  env: NodeJS.ProcessEnv;
}

/** Tickflow's cache folder, outside the repository: $TICKFLOW_CACHE_DIR, else $XDG_CACHE_HOME/tickflow, else ~/.cache/tickflow. */
export function cacheHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TICKFLOW_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "tickflow");
}

function instance(options: KafkaLauncherOptions): Instance {
  const env = options.env ?? process.env;
  const port = options.port ?? 9092;
  const controllerPort = options.controllerPort ?? port + 1;
  const name = options.name ?? "default";
  for (const [label, p] of [
    ["port", port],
    ["controller port", controllerPort],
  ] as const) {
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      throw new KafkaOptionsError(`Kafka ${label} ${p} is not a TCP port (1-65535)`);
  }
  if (port === controllerPort) throw new KafkaOptionsError(`Kafka port and controller port must differ (both ${port})`);
  // The name becomes a folder beside the jar folders (lib-<version>), which resetKafkaData deletes.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.startsWith("lib-")) {
    throw new KafkaOptionsError(
      `Kafka instance name "${name}" is not valid: use letters, digits, ".", "_" and "-", not starting with "lib-"`,
    );
  }
  const home = options.home ?? cacheHome(env);
  const dataDir = join(home, "kafka", name);
  return {
    port,
    controllerPort,
    brokers: `${HOST}:${port}`,
    libDir: join(home, "kafka", `lib-${KAFKA_VERSION}`),
    dataDir,
    logDirs: join(dataDir, "logs"),
    propertiesFile: join(dataDir, "server.properties"),
    pidFile: join(dataDir, "kafka.pid"),
    logFile: join(dataDir, "server.log"),
    outFile: join(dataDir, "kafkaServer.out"),
    env,
  };
}

function progress(message: string): void {
  process.stderr.write(`kafka: ${message}\n`);
}

/**
 * Whether a Kafka broker answers on host:port: an ApiVersions v0 request (which every broker
 * since 0.10 serves) must come back with our correlation id and error code 0. An open port
 * alone proves nothing: a broker binds its listeners before it can serve requests.
 */
export function kafkaAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const correlationId = randomInt(1, 2 ** 31 - 1);
  const clientId = Buffer.from("tickflow-launcher");
  const request = Buffer.alloc(14 + clientId.length);
  let offset = request.writeInt32BE(request.length - 4, 0);
  offset = request.writeInt16BE(18, offset); // api key: ApiVersions
  offset = request.writeInt16BE(0, offset); // api version
  offset = request.writeInt32BE(correlationId, offset);
  offset = request.writeInt16BE(clientId.length, offset);
  clientId.copy(request, offset); // the v0 request has an empty body

  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const socket = connect({ host, port });
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(answer: boolean): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    }
    socket.once("connect", () => socket.write(request));
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 10) return;
      // size (int32), correlation id (int32), then the body's error code (int16)
      done(received.readInt32BE(0) >= 6 && received.readInt32BE(4) === correlationId && received.readInt16BE(8) === 0);
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.setTimeout(1000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

function findExecutable(command: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue; // an empty entry means the working directory: never run a stray binary from there
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; try the next entry
    }
  }
  return null;
}

const execFileAsync = promisify(execFile);

/** Runs a command to completion; on failure the error carries its output for the message. */
async function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeout: number,
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(file, args, { env, timeout, maxBuffer: 16 << 20 });
}

function outputOf(error: unknown): string {
  const { stdout = "", stderr = "", message } = error as { stdout?: string; stderr?: string; message: string };
  // Debian's Maven colours even in batch mode; the escapes are noise in an error message.
  const text = stripVTControlCharacters(`${stdout}${stderr}`).trim() || message;
  return text.split("\n").slice(-30).join("\n");
}

async function findJava(env: NodeJS.ProcessEnv): Promise<string> {
  const fromHome = env.JAVA_HOME ? findExecutable("java", { PATH: join(env.JAVA_HOME, "bin") }) : null;
  const java = fromHome ?? findExecutable("java", env);
  if (!java)
    throw new KafkaToolsMissingError(
      `The local Kafka broker needs Java 17 or newer, and there is no "java" on PATH. ${INSTALL_HINT}`,
    );
  const { stderr } = await run(java, ["-version"], env, 30_000);
  // "17.0.15", "21", or "1.8.0_402" for Java 8 and older.
  // An unrecognised format is let through: the broker itself then has the last word.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
  const major = match ? Number(match[1] === "1" ? match[2] : match[1]) : Number.NaN;
  if (major < 17)
    throw new KafkaToolsMissingError(
      `The local Kafka broker needs Java 17 or newer; ${java} is Java ${major}. ${INSTALL_HINT}`,
    );
  return java;
}

/** Staging folders of fetches whose process died (Ctrl-C during Maven) would otherwise pile up. */
async function removeAbandonedStaging(libDir: string): Promise<void> {
  const prefix = `${basename(libDir)}.partial-`;
  const entries = await readdir(dirname(libDir)).catch(() => []);
  for (const entry of entries.filter((e) => e.startsWith(prefix))) {
    const pid = Number(entry.slice(prefix.length));
    if (pid === process.pid || commandLine(pid) === null)
      await rm(join(dirname(libDir), entry), { recursive: true, force: true });
  }
}

/**
 * Fetches the pinned Kafka jars and their runtime dependencies once into
 * <home>/kafka/lib-<version>/ and returns that folder. Maven fills a private staging folder that
 * is renamed into place when complete, so an interrupted fetch is retried and concurrent starts
 * never see half a classpath.
 */
export async function ensureJars(options: KafkaLauncherOptions = {}): Promise<string> {
  const { libDir, env } = instance(options);
  const stamp = createHash("sha256").update(POM_TEXT).digest("hex");
  const current = await readFile(join(libDir, JARS_COMPLETE), "utf8").catch(() => null);
  if (current === stamp) return libDir;

  const mvn = findExecutable("mvn", env);
  if (!mvn)
    throw new KafkaToolsMissingError(
      `Maven ("mvn") is needed once, to fetch the Apache Kafka ${KAFKA_VERSION} jars, and it is not on PATH. ${INSTALL_HINT}`,
    );
  const staging = `${libDir}.partial-${process.pid}`;
  await removeAbandonedStaging(libDir);
  progress(`fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${libDir} (once)`);
  const began = Date.now();
  try {
    await run(
      mvn,
      ["-B", "-q", "-f", POM, "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${staging}`],
      env,
      15 * 60_000,
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new KafkaLauncherError(
      `Maven could not fetch the Apache Kafka ${KAFKA_VERSION} jars (it needs Maven Central, or a mirror in ~/.m2/settings.xml):\n${outputOf(error)}`,
    );
  }
  const jars = (await readdir(staging)).length;
  await writeFile(join(staging, JARS_COMPLETE), stamp);
  await rm(libDir, { recursive: true, force: true });
  try {
    await rename(staging, libDir);
  } catch (error) {
    // Another start fetched the same jars at the same time and won the rename: use those.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(libDir, JARS_COMPLETE))) throw error;
  }
  progress(`fetched ${jars} jars in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return libDir;
}

function serverProperties(i: Instance): string {
  return `# Written by @tickflow/local-kafka (local/kafka/src/index.ts) on every start; edits here are overwritten.
# Single-node KRaft: this process is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${i.controllerPort}
listeners=PLAINTEXT://${HOST}:${i.port},CONTROLLER://${HOST}:${i.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${i.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${i.logDirs}

# One broker: internal topics cannot have 3 replicas. Without these, consumer groups and
# transactions never get a coordinator.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Consumers join at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# After a crash the controller refuses the restarted broker (DUPLICATE_BROKER_REGISTRATION)
# until the dead incarnation's session expires: 9 s by default, 4 s here, so a crash-and-restart
# test waits less. Heartbeats stay well inside the session.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000

# Topics come from the registry with their own partitions and configs; a typo must fail, not
# silently create a topic.
auto.create.topics.enable=false
num.partitions=3
# A development broker: keep a day of data, and at most about 1 GiB per partition (retention
# drops whole segments, hence segments smaller than the 1 GiB default).
log.retention.hours=24
log.retention.bytes=1073741824
log.segment.bytes=268435456
`;
}

function jvmArgs(i: Instance, libDir: string): string[] {
  return [
    `-Dlog4j.configuration=${pathToFileURL(LOG4J).href}`,
    `-Dkafka.logs.dir=${i.dataDir}`,
    "-cp",
    join(libDir, "*"),
  ];
}

async function formatStorage(java: string, i: Instance, libDir: string): Promise<void> {
  if (existsSync(join(i.logDirs, "meta.properties"))) return;
  try {
    const { stdout } = await run(
      java,
      [...jvmArgs(i, libDir), "kafka.tools.StorageTool", "random-uuid"],
      i.env,
      60_000,
    );
    await run(
      java,
      [...jvmArgs(i, libDir), "kafka.tools.StorageTool", "format", "-t", stdout.trim(), "-c", i.propertiesFile],
      i.env,
      60_000,
    );
  } catch (error) {
    throw new KafkaLauncherError(`Could not format the Kafka storage in ${i.logDirs}:\n${outputOf(error)}`);
  }
}

/** The command line of a live process, or null when there is none (or it is a zombie). */
function commandLine(pid: number): string | null {
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  if (existsSync("/proc/self/cmdline")) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim() || null;
    } catch {
      return null;
    }
  }
  try {
    return execFileSync("ps", ["-p", String(pid), "-o", "command="], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The pid of this instance's broker, if it is alive. The command line must name this instance's
 * server.properties: after a reboot the pid file may name an unrelated process, which must
 * never be signalled.
 */
async function brokerPid(i: Instance): Promise<number | null> {
  const text = await readFile(i.pidFile, "utf8").catch(() => null);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 && isBroker(pid, i) ? pid : null;
}

function isBroker(pid: number, i: Instance): boolean {
  const command = commandLine(pid);
  return command !== null && command.includes("kafka.Kafka") && command.includes(i.propertiesFile);
}

async function exited(pid: number, i: Instance, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isBroker(pid, i)) return true;
    await sleep(100);
  }
  return false;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // it exited meanwhile
  }
}

async function terminate(pid: number, i: Instance): Promise<void> {
  signal(pid, "SIGTERM");
  if (await exited(pid, i, STOP_GRACE_MS)) return;
  progress(`broker (pid ${pid}) did not shut down within ${STOP_GRACE_MS / 1000} s; killing it`);
  signal(pid, "SIGKILL");
  if (!(await exited(pid, i, 10_000)))
    throw new KafkaLauncherError(`Kafka broker (pid ${pid}) is still alive after SIGKILL`);
}

async function logTail(i: Instance): Promise<string> {
  const parts: string[] = [];
  for (const file of [i.logFile, i.outFile]) {
    const text = (await readFile(file, "utf8").catch(() => "")).trimEnd();
    if (text) parts.push(`--- ${file} (last lines) ---\n${text.split("\n").slice(-25).join("\n")}`);
  }
  return parts.join("\n") || "(the broker wrote no log)";
}

async function waitUntilAnswering(i: Instance, pid: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (await kafkaAnswers(HOST, i.port, 1000)) return;
    if (!isBroker(pid, i)) {
      await rm(i.pidFile, { force: true });
      throw new KafkaLauncherError(`The Kafka broker (pid ${pid}) exited during start-up.\n${await logTail(i)}`);
    }
    if (Date.now() > deadline) {
      await terminate(pid, i);
      await rm(i.pidFile, { force: true });
      throw new KafkaLauncherError(
        `The Kafka broker (pid ${pid}) did not answer on ${i.brokers} within ${START_TIMEOUT_MS / 1000} s and was stopped.\n${await logTail(i)}`,
      );
    }
    await sleep(250);
  }
}

/**
 * Starts this instance's broker unless a broker already answers on the port, and resolves once
 * it answers. The broker is detached: it keeps running after the caller exits, until stopKafka.
 */
export async function startKafka(options: KafkaLauncherOptions = {}): Promise<KafkaStart> {
  const i = instance(options);
  if (await kafkaAnswers(HOST, i.port)) return { brokers: i.brokers, started: false, pid: await brokerPid(i) };
  const starting = await brokerPid(i);
  if (starting !== null) {
    // Started by another command and not answering yet: wait for it; a second broker on the
    // same log dirs would only fail on the lock.
    await waitUntilAnswering(i, starting);
    return { brokers: i.brokers, started: false, pid: starting };
  }
  for (const port of [i.port, i.controllerPort]) {
    if (await portTaken(port)) {
      throw new KafkaLauncherError(
        `${HOST}:${port} is taken by a process that does not answer as a Kafka broker; stop it or choose another port.`,
      );
    }
  }

  const java = await findJava(i.env);
  const libDir = await ensureJars(options);
  await mkdir(i.logDirs, { recursive: true });
  await writeFile(i.propertiesFile, serverProperties(i));
  await formatStorage(java, i, libDir);

  progress(`starting Apache Kafka ${KAFKA_VERSION} on ${i.brokers} (log: ${i.logFile})`);
  const out = openSync(i.outFile, "a");
  let pid: number;
  try {
    // Its own session (detached) and no pipes to us: the broker must not die with the caller or
    // block on a full pipe nobody reads. The working directory catches JVM crash dumps.
    const child = spawn(java, [...JVM_OPTIONS, ...jvmArgs(i, libDir), "kafka.Kafka", i.propertiesFile], {
      cwd: i.dataDir,
      env: i.env,
      detached: true,
      stdio: ["ignore", out, out],
    });
    await once(child, "spawn");
    child.unref();
    pid = child.pid!;
  } finally {
    closeSync(out);
  }
  await writeFile(i.pidFile, `${pid}\n`);
  await waitUntilAnswering(i, pid);
  return { brokers: i.brokers, started: true, pid };
}

/** Stops this instance's broker cleanly (SIGTERM, then SIGKILL after 30 s). Resolves whether one was running. */
export async function stopKafka(options: KafkaLauncherOptions = {}): Promise<boolean> {
  const i = instance(options);
  const pid = await brokerPid(i);
  if (pid !== null) await terminate(pid, i);
  await rm(i.pidFile, { force: true });
  return pid !== null;
}

/** Kills this instance's broker with SIGKILL, as a crash would. Resolves whether one was running. */
export async function killKafka(options: KafkaLauncherOptions = {}): Promise<boolean> {
  const i = instance(options);
  const pid = await brokerPid(i);
  if (pid !== null) {
    signal(pid, "SIGKILL");
    if (!(await exited(pid, i, 10_000)))
      throw new KafkaLauncherError(`Kafka broker (pid ${pid}) is still alive after SIGKILL`);
  }
  await rm(i.pidFile, { force: true });
  return pid !== null;
}

export async function kafkaStatus(options: KafkaLauncherOptions = {}): Promise<KafkaStatus> {
  const i = instance(options);
  const [pid, answering] = await Promise.all([brokerPid(i), kafkaAnswers(HOST, i.port)]);
  return {
    running: pid !== null,
    answering,
    pid,
    brokers: i.brokers,
    dataDir: i.dataDir,
    logFile: i.logFile,
    version: KAFKA_VERSION,
  };
}

/** Stops this instance's broker and deletes its data, so the next start begins with an empty cluster. */
export async function resetKafkaData(options: KafkaLauncherOptions = {}): Promise<void> {
  await stopKafka(options);
  await rm(instance(options).dataDir, { recursive: true, force: true });
}
