import { TOPICS, type TopicId } from "@tickflow/bus";
import { Aws } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";

/** The cluster's identity as its ARNs need it (tokens from the Streaming stack). */
export interface KafkaClusterRef {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly clusterUuid: string;
}

type KafkaResource = "topic" | "group" | "transactional-id";

/** An MSK IAM resource ARN on this cluster only: `arn:aws:kafka:<region>:<account>:<type>/<cluster>/<uuid>/<name>`. */
export function kafkaArn(cluster: KafkaClusterRef, type: KafkaResource, name: string): string {
  return `arn:${Aws.PARTITION}:kafka:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/${cluster.clusterName}/${cluster.clusterUuid}/${name}`;
}

const topicArns = (cluster: KafkaClusterRef, ids: readonly TopicId[]) =>
  ids.map((id) => kafkaArn(cluster, "topic", TOPICS[id].name));

/** Every topic of the registry: both workers create missing topics at start (`ensureTopics`). */
export const ALL_TOPICS = Object.keys(TOPICS) as TopicId[];

/**
 * Throwaway consumer groups the bus uses to read a topic's tail (`tickflow-read-<uuid>`, see
 * packages/bus/src/kafka-bus.ts readRange): the uuid is random, so the prefix is the narrowest
 * scope that exists.
 */
export const READ_GROUP_PATTERN = "tickflow-read-*";

/** What one Kafka client may do on the cluster, by resource. */
export interface KafkaAccess {
  /** Idempotent or transactional producer (InitProducerId needs WriteDataIdempotently on the cluster). */
  readonly idempotentProducer?: boolean;
  /** Kafka's DescribeCluster (the cluster's id, controller and brokers), as a client's metadata checks ask. */
  readonly describeCluster?: boolean;
  /** Topics it creates when missing and grows to the registry's partition count. */
  readonly manageTopics?: readonly TopicId[];
  readonly read?: readonly TopicId[];
  readonly write?: readonly TopicId[];
  /** Consumer groups it joins, commits and reads offsets of (exact names or a `prefix-*`). */
  readonly groups?: readonly string[];
  readonly transactionalIds?: readonly string[];
}

/**
 * The `kafka-cluster:*` statements for one client of one cluster: only the actions the access
 * needs, each on this cluster's ARNs only. Action dependencies follow MSK's IAM access control:
 * ReadData needs DescribeTopic and AlterGroup, WriteData needs DescribeTopic,
 * AlterTransactionalId needs DescribeTransactionalId.
 */
export function kafkaStatements(cluster: KafkaClusterRef, access: KafkaAccess): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const add = (sid: string, actions: string[], resources: string[]) => {
    if (resources.length > 0) statements.push(new iam.PolicyStatement({ sid, actions, resources }));
  };
  add(
    "KafkaConnect",
    [
      "kafka-cluster:Connect",
      ...(access.describeCluster ? ["kafka-cluster:DescribeCluster"] : []),
      ...(access.idempotentProducer ? ["kafka-cluster:WriteDataIdempotently"] : []),
    ],
    [cluster.clusterArn],
  );
  const manage = access.manageTopics ?? [];
  const read = access.read ?? [];
  const write = access.write ?? [];
  const described = [...new Set([...manage, ...read, ...write])];
  add("KafkaDescribeTopics", ["kafka-cluster:DescribeTopic"], topicArns(cluster, described));
  add("KafkaManageTopics", ["kafka-cluster:CreateTopic", "kafka-cluster:AlterTopic"], topicArns(cluster, manage));
  add("KafkaReadTopics", ["kafka-cluster:ReadData"], topicArns(cluster, read));
  add("KafkaWriteTopics", ["kafka-cluster:WriteData"], topicArns(cluster, write));
  add(
    "KafkaGroups",
    ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
    (access.groups ?? []).map((g) => kafkaArn(cluster, "group", g)),
  );
  add(
    "KafkaTransactions",
    ["kafka-cluster:DescribeTransactionalId", "kafka-cluster:AlterTransactionalId"],
    (access.transactionalIds ?? []).map((t) => kafkaArn(cluster, "transactional-id", t)),
  );
  return statements;
}

/** Control-plane reads a client needs to turn MSK_CLUSTER_ARN into bootstrap brokers. */
export function bootstrapStatement(
  cluster: KafkaClusterRef,
  actions: string[] = ["kafka:GetBootstrapBrokers"],
): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: "KafkaBootstrap", actions, resources: [cluster.clusterArn] });
}
