import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { KafkaBus, KafkaEnvSchema, kafkaSettings, resolveBrokers } from "@tickflow/bus";
import { cacheHome } from "@tickflow/local-kafka";
import { readEnv } from "@tickflow/runtime";
import {
  brokersCheck,
  collectKafka,
  DEFAULT_GROUPS,
  evaluateKafka,
  KAFKA_DEFAULTS,
  probeBrokers,
  type KafkaThresholds,
} from "../doctor/kafka";
import { collectPrometheus, evaluatePrometheus, readScrapeConfig } from "../doctor/prometheus";
import { exitCode, makeReport, renderReport, type Check, type Report, type Thresholds } from "../doctor/report";
import { collectVm, VM_DEFAULTS, type VmThresholds } from "../doctor/vm";
import { UsageError } from "../errors";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9091";
export const DEFAULT_PROMETHEUS_CONFIG = join(ROOT, "monitoring/prometheus/prometheus.local.yml");
const DEFAULT_BROKERS = "127.0.0.1:9092";
const DEFAULT_TIMEOUT_MS = 5_000;
/** The admin requests after the brokers answered; kafkajs retries a failing one for about a minute. */
const KAFKA_ADMIN_TIMEOUT_MS = 90_000;

const v = VM_DEFAULTS;
const k = KAFKA_DEFAULTS;

const DOCTOR_HELP = `Usage: tickflow doctor <vm|prometheus|kafka> [options] [--json]

Checks one part of a Tickflow deployment and prints one line per check, graded OK, WARN or
CRIT. Exit status: 0 all OK, 1 a WARN, 2 a CRIT (bad usage also exits 2, with a message on
stderr). --json prints the report as JSON.

doctor vm            this Linux machine (/proc and statfs)
  cpu load           5-minute load average per core    --load-warn ${v.loadPerCore.warn}   --load-crit ${v.loadPerCore.crit}    (at or above)
  memory             MemAvailable, % of MemTotal       --mem-warn ${v.memoryAvailablePct.warn}   --mem-crit ${v.memoryAvailablePct.crit}    (at or below)
  swap               swap used, % of SwapTotal         --swap-warn ${v.swapUsedPct.warn}  --swap-crit ${v.swapUsedPct.crit}   (at or above)
  disk               space, and inodes, used, %        --disk-warn ${v.diskUsedPct.warn}  --disk-crit ${v.diskUsedPct.crit}   (at or above)
                     of the cache folder (Kafka and Prometheus data: $TICKFLOW_CACHE_DIR,
                     else $XDG_CACHE_HOME/tickflow, else ~/.cache/tickflow) and the
                     repository; --path DIR adds a folder (repeatable)

doctor prometheus    a Prometheus server
  --url URL          default ${DEFAULT_PROMETHEUS_URL}
  --config FILE      the config whose scrape jobs must be up
                     (default monitoring/prometheus/prometheus.local.yml)
  CRIT  Prometheus does not answer; a job of the config has no target, or a target is down
  WARN  a target not scraped yet; rules failing, or none loaded though the config lists
        rule files; alerts firing; a catalog metric every service exposes from start
        (no labels: tickflow_up, process_*, nodejs_*) absent
  OK    catalog metrics with labels may be absent and are listed: services create them on
        first use (the DLQ counter with the first dead letter)

doctor kafka         the Kafka cluster, as the topic registry and the workers need it
  --brokers LIST     default $KAFKA_BROKERS, else $MSK_CLUSTER_ARN's, else ${DEFAULT_BROKERS}
                     ($KAFKA_AUTH and its settings apply, as for the workers)
  --topic-prefix P   default $KAFKA_TOPIC_PREFIX
  --group ID         consumer group to check (repeatable; default ${DEFAULT_GROUPS.join(", ")}, the
                     strategy worker's; the local gateway's risk consumer is tickflow-gateway-alerts)
  --lag-warn ${k.lag.warn}  --lag-crit ${k.lag.crit}   records a group is behind on a topic (at or above)
  --dlq-warn ${k.dlq.warn}      --dlq-crit ${k.dlq.crit}      offsets retained in the DLQ topic (at or above)
  CRIT  no broker answers; a registry topic missing, with a partition without leader, or
        with another cleanup.policy; lag or DLQ at their CRIT threshold
  WARN  a bootstrap broker down; partitions under-replicated or not as many as the
        registry says; another config value; a group with no committed offsets; lag or
        DLQ at their WARN threshold

Common options:
  --timeout <ms>     per HTTP request or broker probe (default ${DEFAULT_TIMEOUT_MS})
  --json             print the report as JSON
  -h, --help         show this help
`;

const SUBCOMMANDS = ["vm", "prometheus", "kafka"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const THRESHOLD_FLAGS = [
  "load-warn",
  "load-crit",
  "mem-warn",
  "mem-crit",
  "swap-warn",
  "swap-crit",
  "disk-warn",
  "disk-crit",
  "lag-warn",
  "lag-crit",
  "dlq-warn",
  "dlq-crit",
] as const;
const FLAGS: Record<Subcommand, string[]> = {
  vm: ["load-warn", "load-crit", "mem-warn", "mem-crit", "swap-warn", "swap-crit", "disk-warn", "disk-crit", "path"],
  prometheus: ["url", "config", "timeout"],
  kafka: ["brokers", "topic-prefix", "group", "lag-warn", "lag-crit", "dlq-warn", "dlq-crit", "timeout"],
};

type Values = Record<string, string | string[] | boolean | undefined>;

function numberFlag(values: Values, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || !/^\d+(\.\d+)?$/.test(raw))
    throw new UsageError(`--${name}: "${String(raw)}" is not a non-negative number`);
  return Number(raw);
}

/** A WARN/CRIT pair from flags; `worse` says which way is worse, so a WARN never lies beyond its CRIT. */
function thresholds(values: Values, prefix: string, defaults: Thresholds, worse: "higher" | "lower"): Thresholds {
  const t = {
    warn: numberFlag(values, `${prefix}-warn`, defaults.warn),
    crit: numberFlag(values, `${prefix}-crit`, defaults.crit),
  };
  if (worse === "higher" ? t.warn > t.crit : t.warn < t.crit) {
    throw new UsageError(
      `--${prefix}-warn (${t.warn}) must be ${worse === "higher" ? "at most" : "at least"} --${prefix}-crit (${t.crit})`,
    );
  }
  return t;
}

/** Runs `tickflow doctor`; returns the exit code. */
export async function doctor(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(THRESHOLD_FLAGS.map((f) => [f, { type: "string" as const }])),
      path: { type: "string", multiple: true },
      url: { type: "string" },
      config: { type: "string" },
      brokers: { type: "string" },
      "topic-prefix": { type: "string" },
      group: { type: "string", multiple: true },
      timeout: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(DOCTOR_HELP);
    return 0;
  }
  const [subcommand, ...extra] = positionals;
  if (!SUBCOMMANDS.includes(subcommand as Subcommand) || extra.length > 0) {
    const got = positionals.length === 0 ? "nothing" : `"${positionals.join(" ")}"`;
    throw new UsageError(
      `tickflow doctor expects one of ${SUBCOMMANDS.join(", ")}, got ${got}; see tickflow doctor --help`,
    );
  }
  const sub = subcommand as Subcommand;
  const foreign = Object.keys(values).filter(
    (name) => values[name as keyof typeof values] !== undefined && !["json", "help", ...FLAGS[sub]].includes(name),
  );
  if (foreign.length > 0)
    throw new UsageError(
      `tickflow doctor ${sub} does not take ${foreign.map((f) => `--${f}`).join(", ")}; see tickflow doctor --help`,
    );

  const timeoutMs = numberFlag(values, "timeout", DEFAULT_TIMEOUT_MS);
  let report: Report;
  if (sub === "vm") {
    const t: VmThresholds = {
      loadPerCore: thresholds(values, "load", v.loadPerCore, "higher"),
      memoryAvailablePct: thresholds(values, "mem", v.memoryAvailablePct, "lower"),
      swapUsedPct: thresholds(values, "swap", v.swapUsedPct, "higher"),
      diskUsedPct: thresholds(values, "disk", v.diskUsedPct, "higher"),
    };
    const folders = [
      { label: "cache", path: cacheHome() },
      { label: "repository", path: ROOT.replace(/\/$/, "") },
      ...(values.path ?? []).map((p) => ({ label: p, path: p })),
    ];
    report = makeReport("vm", await collectVm(folders, t));
  } else if (sub === "prometheus") {
    const configFile = values.config ?? DEFAULT_PROMETHEUS_CONFIG;
    let config;
    try {
      config = readScrapeConfig(await readFile(configFile, "utf8"));
    } catch (error) {
      throw new UsageError(`--config ${configFile}: ${(error as Error).message}`, { cause: error });
    }
    report = makeReport(
      "prometheus",
      evaluatePrometheus(await collectPrometheus(values.url ?? DEFAULT_PROMETHEUS_URL, timeoutMs), config),
    );
  } else {
    const t: KafkaThresholds = {
      lag: thresholds(values, "lag", k.lag, "higher"),
      dlq: thresholds(values, "dlq", k.dlq, "higher"),
    };
    report = makeReport("kafka", await diagnoseKafka(values, t, timeoutMs));
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
  return exitCode(report.status);
}

async function diagnoseKafka(values: Values, t: KafkaThresholds, timeoutMs: number): Promise<Check[]> {
  const env = { ...process.env };
  if (typeof values.brokers === "string") env.KAFKA_BROKERS = values.brokers;
  else if (!env.KAFKA_BROKERS && !env.MSK_CLUSTER_ARN) env.KAFKA_BROKERS = DEFAULT_BROKERS;
  if (typeof values["topic-prefix"] === "string") env.KAFKA_TOPIC_PREFIX = values["topic-prefix"];
  const settings = kafkaSettings(readEnv(env, { kafka: KafkaEnvSchema }).kafka, "tickflow-doctor");
  const { brokers, tls } = await resolveBrokers(settings);
  const probed = brokersCheck(await probeBrokers(brokers, tls, timeoutMs));
  if (probed.status === "CRIT") return [probed];

  const bus = await KafkaBus.create(settings);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the admin requests did not finish within ${KAFKA_ADMIN_TIMEOUT_MS / 1000} s`)),
        KAFKA_ADMIN_TIMEOUT_MS,
      );
    });
    const facts = await Promise.race([
      collectKafka(bus, (values.group as string[] | undefined) ?? DEFAULT_GROUPS),
      timedOut,
    ]);
    return [probed, ...evaluateKafka(facts, t)];
  } catch (error) {
    return [
      probed,
      {
        name: "cluster",
        status: "CRIT",
        summary: `the brokers answer, but reading the cluster failed: ${(error as Error).message}`,
      },
    ];
  } finally {
    clearTimeout(timer);
    await bus.close();
  }
}
