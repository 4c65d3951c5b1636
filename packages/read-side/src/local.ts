/**
 * The read side's databases for this machine (`@tickflow/read-side/local`): embedded PGlite for
 * `npm start`, and a throwaway PostgreSQL server for tests and the bench. Apart from the main
 * entry, so the Lambda and container bundles carry neither PGlite's WASM nor process launching.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const POSTGRES_INSTALL_HINT =
  "install PostgreSQL 15+ server binaries (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16), " +
  "or set DATABASE_URL to a server you have";

/** The newest PostgreSQL server binaries this machine has (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(root, majors[0], "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(":"))
    if (dir && existsSync(join(dir, "pg_ctl")) && existsSync(join(dir, "initdb"))) return dir;
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface LocalPostgres {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** A fast shutdown (pg_ctl stop -m fast): the server goes away, the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and deletes its data folder. */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL server for tests and the bench: initdb into a fresh folder, then
 * pg_ctl on a free loopback port with trust authentication (nothing else can reach it). As root
 * (CI containers) PostgreSQL refuses to run, so the server runs as the `postgres` user Debian's
 * package creates.
 */
export async function startLocalPostgres(options: { port?: number } = {}): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`PostgreSQL is not installed: ${POSTGRES_INSTALL_HINT}`);
  const asRoot = process.getuid?.() === 0;
  const dataDir = await mkdtemp(join(tmpdir(), "tickflow-pg-"));
  if (asRoot) await chown(dataDir, ...(await postgresIds()));
  const as = (cmd: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  const port = options.port ?? (await freePort());
  await as("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const socketDir = join(dataDir, "socket");
  await mkdir(socketDir);
  if (asRoot) await chown(socketDir, ...(await postgresIds()));
  const serverOptions = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = async () => {
    await as("pg_ctl", [
      "-D",
      dataDir,
      "-l",
      join(dataDir, "server.log"),
      "-o",
      serverOptions,
      "-w",
      "-t",
      "60",
      "start",
    ]);
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir,
    start,
    stop: async () => {
      await as("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
    destroy: async () => {
      await as("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]).catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return [Number(uid.stdout.trim()), Number(gid.stdout.trim())];
}

export interface EmbeddedDatabase {
  /** postgres:// URL of the server: what the projector and the gateway connect to. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Embedded PostgreSQL for `npm start` without a server: PGlite (PostgreSQL compiled to WASM) on a
 * data folder, served over the PostgreSQL wire protocol by pglite-socket, so the projector and
 * the gateway connect to it with node-postgres exactly as to a real server: one code path, and
 * two processes share one database (PGlite itself is single-process). pglite-socket multiplexes
 * the connections onto PGlite's one session and keeps a transaction's statements together.
 */
export async function serveEmbeddedDatabase(options: {
  /** Where PGlite keeps its files; without it, in memory (gone when the server closes). */
  dataDir?: string | undefined;
  host?: string;
  port?: number;
  maxConnections?: number;
}): Promise<EmbeddedDatabase> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const host = options.host ?? "127.0.0.1";
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 16,
  });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres?sslmode=disable`,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
