import { ConfigError, ReplayError } from "@tickflow/core";
import { KafkaLauncherError } from "@tickflow/local-kafka";
import { backtest } from "./commands/backtest";
import { bench } from "./commands/bench";
import { doctor } from "./commands/doctor";
import { kafka } from "./commands/kafka";
import { optimize } from "./commands/optimize";
import { up } from "./commands/up";
import { UsageError } from "./errors";

const HELP = `Usage: tickflow <command> [options]

Commands:
  backtest    run strategies over simulated or replayed ticks and print a report
  bench       measure the backtest path against the simulator alone
  doctor      check this machine, Prometheus or Kafka (vm|prometheus|kafka)
  kafka       start, stop or check a local Apache Kafka broker (no Docker)
  optimize    search a strategy's parameters: grid, random, walk-forward, in parallel
  up          run the whole platform on this machine (npm start)

Run "tickflow <command> --help" for a command's options.
`;

type Command = (argv: string[]) => number | Promise<number>;
const COMMANDS: Record<string, Command> = { backtest, bench, doctor, kafka, optimize, up };

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
  return command(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Bad usage, configuration or input: say what is wrong and what is valid, exit 2.
  const usage =
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof ReplayError ||
    (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  const hint = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ? `; run "tickflow ${process.argv[2]} --help"`
    : "";
  process.stderr.write(`tickflow: ${(error as Error).message}${hint}\n`);
  process.exitCode = usage ? 2 : 1;
  // The local broker could not start or stop: the message says why and what to do; a stack adds nothing.
  if (!usage && !(error instanceof KafkaLauncherError)) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
}
