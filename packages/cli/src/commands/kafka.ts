import { parseArgs } from "node:util";
import {
  KAFKA_VERSION,
  KafkaOptionsError,
  kafkaStatus,
  killKafka,
  startKafka,
  stopKafka,
  type KafkaLauncherOptions,
} from "@tickflow/local-kafka";
import { UsageError } from "../errors";

const KAFKA_HELP = `Usage: tickflow kafka <start|stop|status|kill> [--port N] [--name X] [--json]

Runs a local single-node Apache Kafka ${KAFKA_VERSION} broker (KRaft, no Docker) in the
background. Needs Java 17+, and Maven once to fetch the jars into the cache
($TICKFLOW_CACHE_DIR, else $XDG_CACHE_HOME/tickflow, else ~/.cache/tickflow).

Subcommands:
  start     start the broker unless one already answers on the port; prints its
            address (for KAFKA_BROKERS) on stdout once it answers
  stop      shut the broker down cleanly (SIGTERM; SIGKILL after 30 s)
  status    whether the broker runs and answers; exit 0 only when both
  kill      SIGKILL the broker, as a crash would (for fault tests)

Options:
  --port <n>      PLAINTEXT listener on 127.0.0.1 (default 9092); the controller uses port + 1
  --name <name>   instance: its own data, log and pid file (default: default)
  --json          print the result as JSON
  -h, --help      show this help
`;

const SUBCOMMANDS = ["start", "stop", "status", "kill"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const isSubcommand = (s: string | undefined): s is Subcommand => SUBCOMMANDS.includes(s as Subcommand);

/** Runs `tickflow kafka`; returns the exit code. */
export async function kafka(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(KAFKA_HELP);
    return 0;
  }
  const [subcommand, ...extra] = positionals;
  if (!isSubcommand(subcommand) || extra.length > 0) {
    const got = positionals.length === 0 ? "nothing" : `"${positionals.join(" ")}"`;
    throw new UsageError(
      `tickflow kafka expects one of ${SUBCOMMANDS.join(", ")}, got ${got}; see tickflow kafka --help`,
    );
  }
  const options: KafkaLauncherOptions = { name: values.name };
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port)) throw new UsageError(`--port: "${values.port}" is not a port number`);
    options.port = Number(values.port);
  }
  try {
    return await run(subcommand, options, values.json);
  } catch (error) {
    if (error instanceof KafkaOptionsError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

function print(json: boolean, value: object, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

async function run(subcommand: Subcommand, options: KafkaLauncherOptions, json: boolean): Promise<number> {
  const instance = `"${options.name ?? "default"}"`;
  switch (subcommand) {
    case "start": {
      const result = await startKafka(options);
      if (!json && !result.started) process.stderr.write(`kafka: a broker already answers on ${result.brokers}\n`);
      // The bare address, so that KAFKA_BROKERS=$(tickflow kafka start) works.
      print(json, result, result.brokers);
      return 0;
    }
    case "stop": {
      const stopped = await stopKafka(options);
      print(json, { stopped }, stopped ? `stopped Kafka ${instance}` : `Kafka ${instance} was not running`);
      return 0;
    }
    case "kill": {
      const killed = await killKafka(options);
      print(json, { killed }, killed ? `killed Kafka ${instance}` : `Kafka ${instance} was not running`);
      return 0;
    }
    case "status": {
      const status = await kafkaStatus(options);
      print(
        json,
        status,
        [
          `Apache Kafka ${status.version}, instance ${instance}, on ${status.brokers}`,
          `  process   ${status.running ? `running (pid ${status.pid})` : "not running"}`,
          `  protocol  ${status.answering ? "answering" : "not answering"}`,
          `  data      ${status.dataDir}`,
          `  log       ${status.logFile}`,
        ].join("\n"),
      );
      return status.running && status.answering ? 0 : 1;
    }
  }
}
