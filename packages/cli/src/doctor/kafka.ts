/**
 * `tickflow doctor kafka`: is the cluster as the platform needs it? probeBrokers checks the
 * bootstrap addresses answer (fast, before kafkajs would retry for a minute); collectKafka reads
 * the cluster through the bus port; evaluateKafka grades it against the topic registry.
 */
import { connect } from "node:net";
import {
  consumerLag,
  TOPICS,
  type Bus,
  type ClusterDescription,
  type PartitionOffsets,
  type TopicDescription,
} from "@tickflow/bus";
import { kafkaAnswers } from "@tickflow/local-kafka";
import { gradeAbove, worst, type Check, type Status, type Thresholds } from "./report";

export interface KafkaThresholds {
  /** Records a group is behind on one topic, over all its partitions. */
  lag: Thresholds;
  /** Offsets retained in the DLQ topic. */
  dlq: Thresholds;
}

/**
 * Lag: the TickflowConsumerLagHigh alert's 10 000 (under a minute of the default feed) to warn,
 * ten times that to page. DLQ: any dead letter deserves a look; a thousand is a broken producer.
 */
export const KAFKA_DEFAULTS: KafkaThresholds = { lag: { warn: 10_000, crit: 100_000 }, dlq: { warn: 1, crit: 1_000 } };

/** Groups checked when none is given: the strategy worker's (ST_GROUP_ID's default). */
export const DEFAULT_GROUPS = ["tickflow-strategy"];

export interface BrokerProbe {
  broker: string;
  ok: boolean;
  detail: string;
}

/**
 * Whether each bootstrap broker answers: a TCP connection first (its error says refused,
 * unresolvable or silent), then on plaintext listeners a Kafka ApiVersions request, since an
 * open port may be anything. A TLS listener's handshake is left to kafkajs.
 */
export async function probeBrokers(brokers: string[], tls: boolean, timeoutMs: number): Promise<BrokerProbe[]> {
  return Promise.all(
    brokers.map(async (broker) => {
      const at = broker.lastIndexOf(":");
      const host = broker.slice(0, at);
      const port = Number(broker.slice(at + 1));
      const error = await new Promise<string | null>((resolve) => {
        const socket = connect({ host, port, timeout: timeoutMs });
        socket.once("connect", () => (socket.destroy(), resolve(null)));
        socket.once("timeout", () => (socket.destroy(), resolve(`no TCP answer within ${timeoutMs} ms`)));
        socket.once("error", (e) => resolve(e.message));
      });
      if (error !== null) return { broker, ok: false, detail: error };
      if (tls) return { broker, ok: true, detail: "accepts TCP (TLS listener)" };
      const ok = await kafkaAnswers(host, port, timeoutMs);
      return { broker, ok, detail: ok ? "answers ApiVersions" : "accepts TCP but does not answer as a Kafka broker" };
    }),
  );
}

export interface PartitionLag {
  partition: number;
  /** The group's committed offset, "-1" when it has none for the partition. */
  committed: string;
  low: string;
  high: string;
  lag: number;
}

export interface GroupLag {
  groupId: string;
  /** Registry topics the group has committed offsets on. */
  topics: { topic: string; partitions: PartitionLag[] }[];
}

export interface KafkaFacts {
  cluster: ClusterDescription;
  groups: GroupLag[];
  /** The DLQ's offsets, null when the topic does not exist. */
  dlq: PartitionOffsets[] | null;
}

/** Reads the cluster, each group's committed offsets on every registry topic, and the DLQ's offsets. */
export async function collectKafka(bus: Bus, groupIds: string[]): Promise<KafkaFacts> {
  const cluster = await bus.describeCluster();
  const existing = cluster.topics.filter((t) => t.exists).map((t) => t.id);
  const groups: GroupLag[] = [];
  for (const groupId of groupIds) {
    const topics: GroupLag["topics"] = [];
    for (const id of existing) {
      // lag as the workers measure it for tickflow_consumer_lag
      const lags = await consumerLag(bus, groupId, id);
      if (lags.every((l) => l.committed === "-1")) continue;
      topics.push({ topic: bus.topicName(id), partitions: lags.map((l) => ({ ...l, lag: Number(l.lag) })) });
    }
    groups.push({ groupId, topics });
  }
  const dlq = existing.includes("dlq") ? await bus.offsets("dlq") : null;
  return { cluster, groups, dlq };
}

export function brokersCheck(probes: BrokerProbe[]): Check {
  const reachable = probes.filter((p) => p.ok);
  const status: Status = reachable.length === 0 ? "CRIT" : reachable.length < probes.length ? "WARN" : "OK";
  const advice =
    status === "CRIT"
      ? "; start one (npx tickflow kafka start) or pass --brokers"
      : status === "WARN"
        ? "; clients fall back to the others, fix or drop the dead address"
        : "";
  return {
    name: "brokers",
    status,
    summary: `${probes.map((p) => `${p.broker} ${p.ok ? "ok" : p.detail}`).join(", ")}${advice}`,
    data: { probes },
  };
}

function topicCheck(topic: TopicDescription): Check {
  const spec = TOPICS[topic.id];
  const name = `topic ${topic.name}`;
  if (!topic.exists)
    return {
      name,
      status: "CRIT",
      summary: "missing: the workers create it at start (ensureTopics); run them, or check --topic-prefix",
      data: { topic },
    };
  const problems: [Status, string][] = [];
  const offline = topic.partitions.filter((p) => p.leader < 0).map((p) => p.partition);
  if (offline.length > 0)
    problems.push(["CRIT", `partitions without a leader: ${offline.join(", ")} (a broker holding them is down)`]);
  const underReplicated = topic.partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => p.partition);
  if (underReplicated.length > 0) problems.push(["WARN", `under-replicated partitions: ${underReplicated.join(", ")}`]);
  if (topic.partitions.length !== spec.partitions) {
    problems.push([
      "WARN",
      `${topic.partitions.length} partitions, the registry says ${spec.partitions} (the workers grow a topic with fewer at start; more changes which partition a key lands on)`,
    ]);
  }
  for (const [key, expected] of Object.entries(spec.config as Record<string, string>)) {
    const actual = topic.config[key];
    if (actual === expected) continue;
    // delete where compact is wanted loses the snapshots a restart resumes from; the reverse keeps every tick forever
    problems.push([
      key === "cleanup.policy" ? "CRIT" : "WARN",
      `${key}=${actual ?? "(unset)"}, the registry says ${expected}`,
    ]);
  }
  const replicas = Math.min(...topic.partitions.map((p) => p.replicas.length));
  const summary =
    problems.length > 0
      ? problems.map(([, text]) => text).join("; ")
      : `${topic.partitions.length} partitions, ${replicas} replica${replicas === 1 ? "" : "s"} each, in sync; config as in the registry`;
  return {
    name,
    status: worst(problems.map(([s]) => s)),
    summary,
    data: { topic, registry: { partitions: spec.partitions, config: spec.config } },
  };
}

function groupCheck(group: GroupLag, t: Thresholds): Check {
  const name = `group ${group.groupId}`;
  if (group.topics.length === 0) {
    return {
      name,
      status: "WARN",
      summary:
        "has committed no offsets on any registry topic: the worker has not run against this cluster, or uses another group id (ST_GROUP_ID)",
      data: { group },
    };
  }
  const statuses: Status[] = [];
  const parts = group.topics.map(({ topic, partitions }) => {
    const total = partitions.reduce((sum, p) => sum + p.lag, 0);
    const status = gradeAbove(total, t);
    statuses.push(status);
    const behind = partitions.filter((p) => p.lag > 0).map((p) => `p${p.partition} ${p.lag}`);
    return `${topic} lag ${total}${behind.length > 0 ? ` (${behind.join(", ")})` : ""}`;
  });
  const status = worst(statuses);
  const advice =
    status === "OK"
      ? ""
      : "; the consumer falls behind: check the worker's CPU and log, and whether one partition (a hot key) holds most of it";
  return { name, status, summary: `${parts.join("; ")}${advice}`, data: { group, thresholds: t } };
}

function dlqCheck(name: string, offsets: PartitionOffsets[], t: Thresholds): Check {
  const depth = offsets.reduce((sum, o) => sum + Number(BigInt(o.high) - BigInt(o.low)), 0);
  const status = gradeAbove(depth, t);
  // the strategy worker writes dead letters inside its transactions, and each commit marker takes an offset
  const summary =
    depth === 0
      ? "empty"
      : `${depth} offsets retained (dead letters plus transaction markers): read them with kcat -C -t ${name} -f '%h %s\\n', fix the producer, then decide whether to replay`;
  return { name: `dlq ${name}`, status, summary, data: { depth, offsets, thresholds: t } };
}

/** Grades the cluster against the registry, each group's lag and the DLQ's depth. */
export function evaluateKafka(facts: KafkaFacts, t: KafkaThresholds): Check[] {
  const { cluster } = facts;
  const brokers = cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(", ");
  const checks: Check[] = [
    {
      name: "cluster",
      status: "OK",
      summary: `${cluster.clusterId}: ${cluster.brokers.length} broker${cluster.brokers.length === 1 ? "" : "s"} (${brokers}), controller ${cluster.controller ?? "unknown"}`,
      data: { clusterId: cluster.clusterId, controller: cluster.controller, brokers: cluster.brokers },
    },
    ...cluster.topics.map(topicCheck),
    ...facts.groups.map((g) => groupCheck(g, t.lag)),
  ];
  const dlqTopic = cluster.topics.find((topic) => topic.id === "dlq");
  if (facts.dlq && dlqTopic) checks.push(dlqCheck(dlqTopic.name, facts.dlq, t.dlq));
  return checks;
}
