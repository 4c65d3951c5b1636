/**
 * The read side's databases for this machine (`@tickflow/read-side/local`): embedded PGlite for
 * `npm start`, and a throwaway PostgreSQL server for tests and the bench. Apart from the main
 * entry, so the Lambda and container bundles carry neither PGlite's WASM nor process launching.
 */
import { PGlite } from "@electric-sql/pglite";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo, type Socket } from "node:net";
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

/** The 8-byte SSLRequest: PGlite speaks no TLS, so it is answered "N" and the client goes on in the clear. */
const SSL_REQUEST = 80877103;
/** PostgreSQL's own bounds: a startup packet of at most 10,000 bytes, a message of at most 1 GB. */
const MAX_STARTUP_BYTES = 10_000;
const MAX_MESSAGE_BYTES = 0x3fffffff;
/** Messages that end a client's group: Sync (extended protocol), Query (simple), Terminate. */
const GROUP_END = new Set(["S", "Q", "X"]);

/**
 * Embedded PostgreSQL for `npm start` without a server: PGlite (PostgreSQL compiled to WASM) on a
 * data folder, served over the PostgreSQL wire protocol on a local port, so the projector and
 * the gateway connect to it with node-postgres exactly as to a real server: one code path, and
 * two processes share one database (PGlite itself is single-process).
 *
 * PGlite has one session, so the connections take turns on it, a message group at a time: what
 * a client sends up to Sync (or a simple Query) runs as one unit, because node-postgres's
 * unnamed statement and portal live from Parse to Sync; and while a transaction is open only its
 * connection runs. (pglite-socket 0.2 interleaves single messages of different connections: under
 * load one client's Bind met another's portal, "portal does not exist", measured here.)
 */
export async function serveEmbeddedDatabase(options: {
  /** Where PGlite keeps its files; without it, in memory (gone when the server closes). */
  dataDir?: string | undefined;
  host?: string;
  port?: number;
}): Promise<EmbeddedDatabase> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const sockets = new Set<Socket>();
  /** The connection whose transaction is open: the others wait for it. */
  let owner: Socket | null = null;
  const queue: { socket: Socket; group: Buffer; done: () => void }[] = [];
  let running = false;
  const pump = async () => {
    if (running) return;
    running = true;
    while (queue.length > 0) {
      const i = owner ? queue.findIndex((q) => q.socket === owner) : 0;
      if (i < 0) break; // the transaction's connection has sent nothing yet
      const [{ socket, group, done }] = queue.splice(i, 1) as [(typeof queue)[number]];
      try {
        await db.runExclusive(() =>
          db.execProtocolRawStream(new Uint8Array(group), {
            onRawData: (data) => {
              if (socket.writable) socket.write(data);
            },
          }),
        );
      } catch (error) {
        socket.destroy(error as Error);
      }
      owner = db.isInTransaction() ? socket : null;
      done();
    }
    running = false;
  };
  const run = (socket: Socket, group: Buffer) =>
    new Promise<void>((done) => {
      queue.push({ socket, group, done });
      void pump();
    });

  const server = createServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let started = false;
    let pending: Buffer[] = [];
    let turn = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const groups: Buffer[] = [];
      for (;;) {
        if (!started) {
          if (buffer.length < 8) break;
          const length = buffer.readInt32BE(0);
          if (length === 8 && buffer.readInt32BE(4) === SSL_REQUEST) {
            socket.write("N");
            buffer = buffer.subarray(8);
            continue;
          }
          // what is no startup packet never reaches PGlite: the connection is cut, as a server would
          if (length < 8 || length > MAX_STARTUP_BYTES) return void socket.destroy();
          if (buffer.length < length) break;
          groups.push(buffer.subarray(0, length)); // the startup message: its own group
          buffer = buffer.subarray(length);
          started = true;
          continue;
        }
        if (buffer.length < 5) break;
        const declared = buffer.readInt32BE(1);
        if (declared < 4 || declared > MAX_MESSAGE_BYTES) return void socket.destroy();
        const length = 1 + declared;
        if (buffer.length < length) break;
        const type = String.fromCharCode(buffer[0]!);
        pending.push(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        if (type === "X") {
          socket.end();
          pending = [];
          break;
        }
        if (GROUP_END.has(type)) {
          groups.push(Buffer.concat(pending));
          pending = [];
        }
      }
      for (const group of groups) turn = turn.then(() => run(socket, group));
    });
    const gone = () => {
      sockets.delete(socket);
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.socket === socket) queue.splice(i, 1)[0]!.done();
      if (owner === socket) {
        // a client that left inside its transaction: end it, or the session stays locked to no one
        owner = null;
        void db.exec("rollback").finally(() => void pump());
      } else void pump();
    };
    socket.on("close", gone);
    socket.on("error", () => socket.destroy());
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `postgres://postgres@${host}:${port}/postgres?sslmode=disable`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
