import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  KAFKA_VERSION,
  KafkaLauncherError,
  kafkaAnswers,
  kafkaStatus,
  killKafka,
  resetKafkaData,
  startKafka,
  stopKafka,
} from "@tickflow/local-kafka";
import { freePort } from "@tickflow/test-support";
import { tickflow } from "./run-tickflow";

async function listen(onConnection: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, port: (server.address() as AddressInfo).port };
}

async function timed<T>(body: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await body();
  return { value, ms: performance.now() - start };
}

describe("kafkaAnswers", () => {
  it("is false at once where nothing listens", async () => {
    const port = await freePort();
    const { value, ms } = await timed(() => kafkaAnswers("127.0.0.1", port, 5000));
    expect(value).toBe(false);
    expect(ms).toBeLessThan(1000);
  });

  it.each([
    ["echoes the request back", (socket: Socket) => void socket.pipe(socket)],
    ["answers something else and hangs up", (socket: Socket) => void socket.end("HTTP/1.1 400 Bad Request\r\n\r\n")],
  ])("is false for a TCP server that %s", async (_, onConnection) => {
    const { server, port } = await listen(onConnection);
    try {
      const { value, ms } = await timed(() => kafkaAnswers("127.0.0.1", port, 5000));
      expect(value).toBe(false);
      expect(ms).toBeLessThan(1000);
    } finally {
      server.close();
    }
  });

  it("gives up on a server that accepts and stays silent after the timeout", async () => {
    const sockets: Socket[] = [];
    const { server, port } = await listen((socket) => {
      sockets.push(socket);
    });
    try {
      const { value, ms } = await timed(() => kafkaAnswers("127.0.0.1", port, 300));
      expect(value).toBe(false);
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(1000);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});

describe("missing prerequisites", () => {
  let home: string;
  let emptyPath: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "tickflow-kafka-"));
    emptyPath = await mkdtemp(join(tmpdir(), "tickflow-empty-path-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(emptyPath, { recursive: true, force: true });
  });

  it("says what to install when there is no java", async () => {
    const start = startKafka({ port: await freePort(), name: "no-java", home, env: { PATH: emptyPath } });
    await expect(start).rejects.toBeInstanceOf(KafkaLauncherError);
    await expect(start).rejects.toThrow(
      /needs Java 17 or newer.*apt-get install openjdk-17-jre-headless maven.*KAFKA_BROKERS/s,
    );
  });

  it("tickflow kafka start exits 1 with that message and no stack trace", async () => {
    const port = String(await freePort());
    const { code, stdout, stderr } = await tickflow(["kafka", "start", "--port", port, "--name", "no-java"], {
      PATH: emptyPath,
      TICKFLOW_CACHE_DIR: home,
    });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^tickflow: The local Kafka broker needs Java 17 or newer.*openjdk-17-jre-headless maven/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("tickflow kafka usage", () => {
  it("exits 2 on a bad subcommand, port or name", async () => {
    for (const args of [
      ["kafka"],
      ["kafka", "launch"],
      ["kafka", "status", "--port", "x"],
      ["kafka", "status", "--port", "70000"],
      ["kafka", "status", "--name", "../x"],
    ]) {
      const { code, stderr } = await tickflow(args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr).toMatch(/^tickflow: /);
    }
  });

  it("prints help", async () => {
    const { code, stdout } = await tickflow(["kafka", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Apache Kafka ${KAFKA_VERSION}`);
    expect(stdout).toMatch(/start .*stop .*status .*kill/s);
  });
});

// A real broker on its own port and instance, so a broker on 9092 is never touched. The first
// run on a machine fetches the jars with Maven, hence the long timeouts.
describe("a real broker", () => {
  const options = { port: 19192, name: "launcher-test" };
  const brokers = "127.0.0.1:19192";
  const statusArgs = ["kafka", "status", "--port", "19192", "--name", "launcher-test", "--json"];

  beforeAll(() => resetKafkaData(options), 60_000);
  afterAll(() => resetKafkaData(options), 60_000);

  it("starts once, answers the Kafka protocol, and a second start finds it", async () => {
    const first = await startKafka(options);
    expect(first).toMatchObject({ brokers, started: true });
    expect(first.pid).toBeGreaterThan(0);
    expect(await kafkaAnswers("127.0.0.1", 19192, 2000)).toBe(true);

    const second = await startKafka(options);
    expect(second).toEqual({ brokers, started: false, pid: first.pid });
  }, 600_000);

  it("tickflow kafka status reports it running and answering", async () => {
    const { code, stdout } = await tickflow(statusArgs);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ running: true, answering: true, brokers, version: KAFKA_VERSION });
  });

  it("comes back after a SIGKILL", async () => {
    expect(await killKafka(options)).toBe(true);
    expect(await kafkaAnswers("127.0.0.1", 19192, 1000)).toBe(false);
    expect((await kafkaStatus(options)).running).toBe(false);
    expect((await tickflow(statusArgs)).code).toBe(1);

    const restarted = await startKafka(options);
    expect(restarted.started).toBe(true);
    expect(await kafkaAnswers("127.0.0.1", 19192, 2000)).toBe(true);
  }, 120_000);

  it("stops cleanly, and stopping again is a no-op", async () => {
    expect(await stopKafka(options)).toBe(true);
    expect(await kafkaAnswers("127.0.0.1", 19192, 1000)).toBe(false);
    expect(await kafkaStatus(options)).toMatchObject({ running: false, answering: false, pid: null });
    expect(await stopKafka(options)).toBe(false);
  }, 60_000);
});
