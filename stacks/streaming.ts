import { Fn } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import * as msk from "aws-cdk-lib/aws-msk";
import { use, type StackContext } from "sst/constructs";
import { Network } from "./network";

/**
 * MSK's name for Apache Kafka 3.9 in KRaft mode. The typed `KafkaVersion.V3_9_X_KRAFT` lives in
 * `@aws-cdk/aws-msk-alpha`, which is not a dependency; the L1 cluster takes the same string.
 */
export const KafkaVersion = { V3_9_X_KRAFT: "3.9.x.kraft" } as const;

/**
 * Broker settings for a two-AZ cluster (two brokers). Topics are created by the workers at start
 * (the registry in packages/bus sets partitions and per-topic configs), never by accident.
 */
const SERVER_PROPERTIES = [
  "auto.create.topics.enable=false",
  "default.replication.factor=2",
  // with two replicas, 2 would stop every acks=all producer during MSK's rolling broker patches
  "min.insync.replicas=1",
  "offsets.topic.replication.factor=2",
  // the strategy worker's exactly-once loop: the transaction log must survive a broker loss
  "transaction.state.log.replication.factor=2",
  "transaction.state.log.min.isr=1",
  "unclean.leader.election.enable=false",
  "num.partitions=3",
].join("\n");

/**
 * Amazon MSK provisioned, Apache Kafka 3.9.x in KRaft mode: IAM authentication only, TLS only
 * (client-broker and in-cluster), no public access, data encrypted at rest with a
 * customer-managed key, broker logs in CloudWatch with retention.
 */
export function Streaming({ stack }: StackContext) {
  const { vpc, privateSubnets, securityGroups, settings } = use(Network);

  const key = new kms.Key(stack, "KafkaDataKey", {
    description: `${settings.prefix} MSK data at rest`,
    enableKeyRotation: true,
    removalPolicy: settings.removalPolicy,
  });
  const brokerLogs = new logs.LogGroup(stack, "BrokerLogs", {
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  const configuration = new msk.CfnConfiguration(stack, "KafkaConfiguration", {
    name: `${settings.prefix}-kafka`,
    description: "Tickflow broker defaults: no auto-created topics, replicated transaction state",
    serverProperties: SERVER_PROPERTIES,
  });

  const clusterName = `${settings.prefix}-kafka`;
  const cluster = new msk.CfnCluster(stack, "Kafka", {
    clusterName,
    kafkaVersion: KafkaVersion.V3_9_X_KRAFT,
    numberOfBrokerNodes: 2,
    brokerNodeGroupInfo: {
      instanceType: settings.brokerInstanceType,
      clientSubnets: vpc.selectSubnets(privateSubnets).subnetIds,
      securityGroups: [securityGroups.kafka.securityGroupId],
      storageInfo: { ebsStorageInfo: { volumeSize: settings.brokerVolumeGiB } },
      connectivityInfo: { publicAccess: { type: "DISABLED" } },
    },
    clientAuthentication: {
      sasl: { iam: { enabled: true }, scram: { enabled: false } },
      unauthenticated: { enabled: false },
    },
    encryptionInfo: {
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
      encryptionAtRest: { dataVolumeKmsKeyId: key.keyArn },
    },
    configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
    loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
    // consumer lag is measured by the workers themselves (tickflow_consumer_lag); DEFAULT is free
    enhancedMonitoring: "DEFAULT",
  });
  cluster.applyRemovalPolicy(settings.removalPolicy);

  const clusterArn = cluster.attrArn;
  // arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>: topic, group and transactional-id
  // ARNs repeat the name and uuid, so policies can name this cluster's resources exactly.
  const clusterUuid = Fn.select(2, Fn.split("/", clusterArn));
  stack.addOutputs({ KafkaClusterArn: clusterArn });
  return { cluster, clusterArn, clusterName, clusterUuid };
}
