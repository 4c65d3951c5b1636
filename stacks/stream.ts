import { TOPICS, type TopicId } from "@tickflow/bus";
import { STREAM_CHANNELS, STREAM_FANOUT_HANDLER } from "@tickflow/gateway";
import * as appsync from "aws-cdk-lib/aws-appsync";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Function, use, type StackContext } from "sst/constructs";
import { eventSourceNetworkStatements, writeLogsOnlyTo } from "./api";
import { Auth } from "./auth";
import { bootstrapStatement, kafkaStatements } from "./kafka-iam";
import { Network } from "./network";
import { Streaming } from "./streaming";

/** One consumer group per event-source mapping (Lambda requires it): one mapping per topic. */
export const streamConsumerGroup = (topic: TopicId) => `tickflow-stream-${topic}`;

/**
 * The stream on AWS (stacks/README.md, The stream on AWS): an AppSync Events API that the
 * dashboard subscribes to over WebSocket with the Auth stack's Cognito tokens, one channel
 * namespace per stream channel, and the fan-out Lambda, fed by one MSK event-source mapping per
 * stream topic, which publishes each batch to the API's HTTP endpoint with IAM (SigV4). AppSync
 * fans each event out to every subscriber itself: no connection table, no per-connection posts.
 */
export function Stream({ stack }: StackContext) {
  const { vpc, privateSubnets, securityGroups, settings } = use(Network);
  const kafka = use(Streaming);
  const auth = use(Auth);

  const userPool: appsync.AppSyncAuthProvider = {
    authorizationType: appsync.AppSyncAuthorizationType.USER_POOL,
    cognitoConfig: { userPool: auth.userPool },
  };
  const iamAuth: appsync.AppSyncAuthProvider = { authorizationType: appsync.AppSyncAuthorizationType.IAM };
  const api = new appsync.EventApi(stack, "Events", {
    apiName: `${settings.prefix}-stream`,
    authorizationConfig: {
      authProviders: [userPool, iamAuth],
      // dashboards connect and subscribe with the pool's tokens; only IAM principals publish
      connectionAuthModeTypes: [appsync.AppSyncAuthorizationType.USER_POOL],
      defaultSubscribeAuthModeTypes: [appsync.AppSyncAuthorizationType.USER_POOL],
      defaultPublishAuthModeTypes: [appsync.AppSyncAuthorizationType.IAM],
    },
  });
  // each stream channel is one channel namespace, fed by the bus topic of the same id (the fan-out maps topic to namespace)
  const namespaces = STREAM_CHANNELS.map((channel) =>
    api.addChannelNamespace(`Channel${channel[0]!.toUpperCase()}${channel.slice(1)}`, {
      channelNamespaceName: channel,
    }),
  );

  const fanoutLogs = new logs.LogGroup(stack, "StreamFanoutLogs", {
    logGroupName: `/tickflow/${settings.prefix}/lambda/StreamFanout`,
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  // Outside the VPC: it reads Kafka only through its event-source mappings, whose pollers run in
  // the cluster's subnets with the cluster's security group, and it calls one AWS API, AppSync's
  // public HTTP endpoint (README: why the fan-out is not in the VPC).
  const fanout = new Function(stack, "StreamFanout", {
    runtime: "nodejs22.x",
    architecture: "arm_64",
    tracing: "disabled",
    nodejs: { format: "esm", sourcemap: true },
    handler: STREAM_FANOUT_HANDLER,
    functionName: `${settings.prefix}-stream-fanout`,
    memorySize: "512 MB",
    timeout: "30 seconds",
    logGroup: fanoutLogs,
    environment: { EVENTS_HTTP_DOMAIN: api.httpDns },
  });
  writeLogsOnlyTo(fanout, fanoutLogs);
  // appsync:EventPublish on this API's namespaces, nothing else of AppSync
  fanout.addToRolePolicy(
    new iam.PolicyStatement({
      sid: "StreamPublish",
      actions: ["appsync:EventPublish"],
      resources: namespaces.map((n) => n.channelNamespaceArn),
    }),
  );
  // the mappings poll MSK with the function's role: read the stream's topics in their own groups
  fanout.attachPermissions([
    bootstrapStatement(kafka, ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"]),
    new iam.PolicyStatement({
      sid: "KafkaEventSourceClusterConfig",
      actions: ["kafka-cluster:DescribeClusterDynamicConfiguration"],
      resources: [kafka.clusterArn],
    }),
    ...kafkaStatements(kafka, { read: STREAM_CHANNELS, groups: STREAM_CHANNELS.map(streamConsumerGroup) }),
    ...eventSourceNetworkStatements(stack, vpc.selectSubnets(privateSubnets).subnetIds, securityGroups.kafka),
  ]);

  for (const topic of STREAM_CHANNELS) {
    fanout.addEventSourceMapping(`Kafka${TOPICS[topic].name}`, {
      eventSourceArn: kafka.clusterArn,
      kafkaTopic: TOPICS[topic].name,
      kafkaConsumerGroupId: streamConsumerGroup(topic),
      // a live stream: a new mapping starts at the end; the dashboard backfills from the read side
      startingPosition: lambda.StartingPosition.LATEST,
      // batching window left at MSK's default (500 ms): CloudFormation takes whole seconds only
      batchSize: 500,
    });
  }

  /** What the dashboard connects to: `wss://<realtime domain>/event/realtime` (README, The stream on AWS). */
  const realtimeUrl = `wss://${api.realtimeDns}/event/realtime`;
  stack.addOutputs({ StreamRealtimeUrl: realtimeUrl, StreamHttpDomain: api.httpDns, StreamApiId: api.apiId });
  return { api, namespaces, fanout, realtimeUrl, httpDomain: api.httpDns };
}
