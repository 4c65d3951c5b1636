import { TOPICS, type TopicId } from "@tickflow/bus";
import {
  COMMAND_HANDLERS,
  CORS_PREFLIGHT,
  DATABASE_HANDLERS,
  DEPLOYED_ROUTES,
  DEFAULT_ROUTE_HANDLER,
  DEFAULT_ROUTE_KEY,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  RISK_CONSUMER_HANDLER,
  RISK_CONSUMER_TOPICS,
  handlerPath,
  type HandlerName,
} from "@tickflow/gateway";
import { Aws, Duration, type Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import {
  Api as SstApi,
  Function,
  use,
  type ApiRouteProps,
  type FunctionProps,
  type StackContext,
} from "sst/constructs";
import { Auth } from "./auth";
import { Database } from "./database";
import { bootstrapStatement, kafkaStatements } from "./kafka-iam";
import { Network } from "./network";
import type { stageSettings } from "./settings";
import { Streaming } from "./streaming";
import { Workers } from "./workers";

/**
 * Lambda requires a distinct consumer group per Kafka event-source mapping: one mapping per topic
 * the risk/alerts consumer reads (RISK_CONSUMER_TOPICS, from the gateway, which consumes the same
 * topics locally).
 */
export const riskConsumerGroup = (topic: TopicId) => `tickflow-alerts-${topic}`;

/** Who may call a route (the gateway's `access`: open, read or trade). */
type Access = (typeof DEPLOYED_ROUTES)[number]["access"];

/** The HTTP API's JWT authorizer: Cognito access tokens of the dashboard's app client. */
export const AUTHORIZER = "cognito" as const;

/** The topic the command Lambdas publish to, and the only one they may write. */
export const COMMANDS_TOPIC: TopicId = "commands";

/**
 * Whether a route goes through the JWT authorizer: every route but the `open` ones (health).
 * `$default` does not: it only answers 404/405 problem+json, and an authorizer there would also
 * catch the CORS preflights API Gateway otherwise answers itself (stacks/README.md, Auth).
 */
export const authorized = (access: Access | "default") => access !== "open" && access !== "default";

/**
 * The public API: one Lambda (nodejs22.x, in the VPC) per deployed route of the gateway's route
 * table (DEPLOYED_ROUTES: every route but the local adapter's token route) and one for
 * `$default`, behind an HTTP API with throttling, CORS for the web origin only, and a JWT
 * authorizer (the Auth stack's Cognito pool and dashboard client) on every route but health.
 * Beside it, the SNS alerts topic and the risk/alerts consumer, fed by MSK event-source mappings
 * on strategy.risk.v1 and strategy.orders.v1, with failed batches kept in S3. The routes whose
 * handler reads the read side (DATABASE_HANDLERS) query PostgreSQL through the RDS Data API: they
 * alone are told the cluster and its secret and may call the Data API on them. The routes that
 * publish commands (COMMAND_HANDLERS) run in the command security group, which reaches MSK, and
 * alone may write to Kafka: strategy.commands.v1 only.
 */
export function Api({ stack }: StackContext) {
  const { vpc, privateSubnets, securityGroups, edge, settings } = use(Network);
  const kafka = use(Streaming);
  const workers = use(Workers);
  const { database } = use(Database);
  const auth = use(Auth);

  // `sst dev` serves the web from Vite on this machine; deployed stages from CloudFront only.
  const corsOrigins = edge ? [edge.origin] : ["http://localhost:8080", "http://127.0.0.1:8080"];
  const functionLogs = (id: string) =>
    new logs.LogGroup(stack, `${id}Logs`, {
      logGroupName: `/tickflow/${settings.prefix}/lambda/${id}`,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
  const common: FunctionProps = {
    runtime: "nodejs22.x",
    architecture: "arm_64",
    // telemetry is EMF metrics and structured logs; X-Ray would need its own VPC endpoint
    tracing: "disabled",
    nodejs: { format: "esm", sourcemap: true },
  };
  // Deployed, every function runs in the private subnets. Under `sst dev` the code runs on the
  // developer's machine and the deployed stub must reach AWS IoT, which the isolated VPC cannot.
  const inVpc = (securityGroup: ec2.ISecurityGroup): FunctionProps =>
    settings.dev
      ? common
      : { ...common, vpc, vpcSubnets: privateSubnets, allowPublicSubnet: false, securityGroups: [securityGroup] };

  // Under `sst dev` there is no cluster: the handlers, on the developer's machine, read the local read side.
  const readsDatabase = (name: HandlerName | "not-found") =>
    database !== undefined && name !== "not-found" && DATABASE_HANDLERS.includes(name);
  // every route Lambda verifies the authorizer's token again (aws-jwt-verify) against these
  const authEnvironment: Record<string, string> = {
    COGNITO_USER_POOL_ID: auth.userPool.userPoolId,
    COGNITO_CLIENT_ID: auth.dashboardClient.userPoolClientId,
  };
  const publishesCommands = (name: HandlerName | "not-found") =>
    name !== "not-found" && COMMAND_HANDLERS.includes(name);
  // The bus's variables (packages/bus/src/config.ts): brokers resolved from the cluster's ARN,
  // SASL/IAM over TLS. Under `sst dev` the handler runs on the developer's machine, next to the
  // broker `npm start` runs, which the deployed cluster's private brokers are not.
  const commandEnvironment: Record<string, string> = settings.dev
    ? { KAFKA_BROKERS: "127.0.0.1:9092", KAFKA_AUTH: "none" }
    : { MSK_CLUSTER_ARN: kafka.clusterArn, KAFKA_AUTH: "msk-iam" };
  const databaseEnvironment: Record<string, string> = database
    ? {
        DATABASE_CLUSTER_ARN: database.cluster.clusterArn,
        DATABASE_SECRET_ARN: database.secret.secretArn,
        DATABASE_NAME: database.name,
      }
    : {};

  const routes: Record<string, ApiRouteProps<typeof AUTHORIZER>> = {};
  const routeLogs = new Map<string, logs.LogGroup>();
  const databaseRoutes = new Set<string>();
  const commandRoutes = new Set<string>();
  const addRoute = (routeKey: string, name: HandlerName | "not-found", handler: string, access: Access | "default") => {
    const logGroup = functionLogs(routeFunctionId(name));
    const commands = publishesCommands(name);
    routeLogs.set(routeKey, logGroup);
    routes[routeKey] = {
      authorizer: authorized(access) ? AUTHORIZER : "none",
      function: {
        ...inVpc(commands ? securityGroups.commands : securityGroups.gateway),
        handler,
        functionName: `${settings.prefix}-api-${name}`,
        memorySize: "512 MB",
        timeout: "10 seconds",
        logGroup,
        environment: {
          MARKET_DATA_URL: workers.urls.marketData,
          STRATEGY_URL: workers.urls.strategy,
          // the gateway's default, written out so the deployed value is visible in the template
          UPSTREAM_TIMEOUT_MS: String(DEFAULT_UPSTREAM_TIMEOUT_MS),
          CORS_ORIGINS: corsOrigins.join(","),
          ...authEnvironment,
          ...(readsDatabase(name) ? databaseEnvironment : {}),
          ...(commands ? commandEnvironment : {}),
        },
      },
    };
    if (readsDatabase(name)) databaseRoutes.add(routeKey);
    if (commands) commandRoutes.add(routeKey);
  };
  // the local adapter's token route is not deployed: on AWS, Cognito issues the tokens
  for (const route of DEPLOYED_ROUTES)
    addRoute(`${route.method} ${route.path}`, route.handler, handlerPath(route.handler), route.access);
  // what no route takes (another path or method) gets the gateway's 404/405 problem+json with
  // CORS, as locally, instead of API Gateway's own {"message":"Not Found"}
  addRoute(DEFAULT_ROUTE_KEY, "not-found", DEFAULT_ROUTE_HANDLER, "default");

  const api = new SstApi(stack, "Api", {
    // access tokens of the dashboard's client: API Gateway checks the signature against the
    // pool's keys, `iss`, `exp`, and `client_id` against the audience (access tokens carry no `aud`)
    authorizers: {
      [AUTHORIZER]: {
        type: "jwt",
        name: `${settings.prefix}-cognito`,
        jwt: { issuer: auth.issuer, audience: [auth.dashboardClient.userPoolClientId] },
      },
    },
    routes,
    // API Gateway answers preflights itself; the local adapter answers them with the same settings
    cors: {
      allowOrigins: corsOrigins,
      allowMethods: [...CORS_PREFLIGHT.allowMethods],
      allowHeaders: [...CORS_PREFLIGHT.allowHeaders],
      exposeHeaders: [...CORS_PREFLIGHT.exposeHeaders],
      maxAge: `${CORS_PREFLIGHT.maxAgeSeconds} seconds`,
    },
    accessLog: { retention: settings.logRetentionName },
    // per-stage limit across all routes; the route Lambdas share the account's concurrency
    defaults: { throttle: { rate: 100, burst: 200 } },
  });

  for (const [routeKey, logGroup] of routeLogs) {
    const fn = api.getFunction(routeKey);
    if (!fn) continue;
    writeLogsOnlyTo(fn, logGroup);
    // rds-data:ExecuteStatement and the transaction actions on this cluster, and reading its
    // secret (the Data API fetches the credentials with the caller's permissions)
    if (database && databaseRoutes.has(routeKey)) database.cluster.grantDataApiAccess(fn);
    // Publishing a command: resolve the brokers, then an idempotent producer (InitProducerId
    // needs WriteDataIdempotently on the cluster) writing strategy.commands.v1 and nothing else;
    // no group, no topic created (the strategy worker creates it). Under `sst dev` the handler
    // publishes to the local broker with the developer's credentials: the stub gets nothing.
    if (commandRoutes.has(routeKey) && !settings.dev)
      fn.attachPermissions([
        bootstrapStatement(kafka),
        ...kafkaStatements(kafka, { idempotentProducer: true, describeCluster: true, write: [COMMANDS_TOPIC] }),
      ]);
  }

  const alerts = alertsTopic(stack, settings);
  const riskConsumerLogs = functionLogs("RiskConsumer");
  const riskConsumer = new Function(stack, "RiskConsumer", {
    ...inVpc(securityGroups.riskConsumer),
    handler: RISK_CONSUMER_HANDLER,
    functionName: `${settings.prefix}-risk-consumer`,
    memorySize: "512 MB",
    timeout: "60 seconds",
    logGroup: riskConsumerLogs,
    environment: {
      ALERTS_TOPIC_ARN: alerts.topicArn,
      // a risk.halted of a strategy the worker does not run is forged: dead-lettered, never alerted
      STRATEGY_URL: workers.urls.strategy,
      UPSTREAM_TIMEOUT_MS: String(DEFAULT_UPSTREAM_TIMEOUT_MS),
      // "false": the mappings ignore a batchItemFailures response, so a failure must be thrown
      KAFKA_REPORT_BATCH_ITEM_FAILURES: String(settings.kafkaPartialBatchResponses),
    },
  });
  writeLogsOnlyTo(riskConsumer, riskConsumerLogs);
  alerts.grantPublish(riskConsumer);

  // The event-source mapping polls MSK with the function's role: read these two topics in their
  // own groups, and describe the cluster to find its brokers and its network.
  riskConsumer.attachPermissions([
    bootstrapStatement(kafka, ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"]),
    new iam.PolicyStatement({
      sid: "KafkaEventSourceClusterConfig",
      actions: ["kafka-cluster:DescribeClusterDynamicConfiguration"],
      resources: [kafka.clusterArn],
    }),
    ...kafkaStatements(kafka, { read: RISK_CONSUMER_TOPICS, groups: RISK_CONSUMER_TOPICS.map(riskConsumerGroup) }),
    ...eventSourceNetworkStatements(stack, vpc.selectSubnets(privateSubnets).subnetIds, securityGroups.kafka),
  ]);

  const failedBatches = new s3.Bucket(stack, "FailedBatches", {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ id: "expire-failed-batches", expiration: Duration.days(30) }],
    removalPolicy: settings.removalPolicy,
    autoDeleteObjects: !settings.production,
  });
  const onFailure = new S3FailedBatchDestination(failedBatches);
  for (const topic of RISK_CONSUMER_TOPICS) {
    riskConsumer.addEventSourceMapping(`Kafka${TOPICS[topic].name}`, {
      eventSourceArn: kafka.clusterArn,
      kafkaTopic: TOPICS[topic].name,
      kafkaConsumerGroupId: riskConsumerGroup(topic),
      // alerts are about now: a new mapping does not replay a month of history
      startingPosition: lambda.StartingPosition.LATEST,
      // batching window left at MSK's default (500 ms): CloudFormation takes whole seconds only
      batchSize: 100,
      // with an on-failure destination Lambda retries a failing batch at most 10 times, then
      // writes the whole invocation (records included) to the bucket
      onFailure,
      supportS3OnFailureDestination: true,
      // production: dedicated pollers, so the consumer can name the failed records and only
      // those are retried; elsewhere on-demand pollers, where a thrown error retries the batch
      ...(settings.kafkaPartialBatchResponses
        ? { reportBatchItemFailures: true, provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 2 } }
        : {}),
    });
  }

  stack.addOutputs({ ApiUrl: api.url, AlertsTopicArn: alerts.topicArn, FailedBatchesBucket: failedBatches.bucketName });
  return { api, alerts, riskConsumer, failedBatches, corsOrigins, commandRoutes };
}

/**
 * CDK gives every function AWSLambdaBasicExecutionRole: logs:CreateLogGroup, CreateLogStream and
 * PutLogEvents on every log group in the account. These functions write to one group each,
 * created here with its retention, so their roles get exactly that group and keep only the
 * VPC-access managed policy (ENI management, which EC2 cannot scope to a resource).
 */
export function writeLogsOnlyTo(fn: lambda.Function, logGroup: logs.ILogGroup): void {
  const role = fn.role as iam.Role;
  const cfnRole = role.node.defaultChild as iam.CfnRole;
  const vpcAccess = iam.ManagedPolicy.fromAwsManagedPolicyName(
    "service-role/AWSLambdaVPCAccessExecutionRole",
  ).managedPolicyArn;
  cfnRole.addPropertyOverride("ManagedPolicyArns", fn.isBoundToVpc ? [vpcAccess] : []);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: "WriteOwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [logGroup.logGroupArn],
    }),
  );
}

/**
 * What an MSK event-source mapping needs to reach the cluster: Lambda places the pollers'
 * network interfaces in the cluster's subnets with the cluster's security group, using the
 * function's role (AWSLambdaMSKExecutionRole lists the actions). Granted in every mode: deployed,
 * the function's VPC-access managed policy covers the create and delete too, but under `sst dev`
 * the function runs outside the VPC without that policy, and the mapping would fail.
 */
export function eventSourceNetworkStatements(
  stack: Stack,
  subnetIds: string[],
  clusterSecurityGroup: ec2.ISecurityGroup,
): iam.PolicyStatement[] {
  const ec2Arn = (resource: string) => `arn:${Aws.PARTITION}:ec2:${stack.region}:${stack.account}:${resource}`;
  // an interface's id exists only once it is created: its ARN can name no more than this account and region
  const anyInterface = ec2Arn("network-interface/*");
  return [
    new iam.PolicyStatement({
      sid: "KafkaEventSourceInterfacesCreate",
      actions: ["ec2:CreateNetworkInterface"],
      resources: [
        anyInterface,
        ...subnetIds.map((id) => ec2Arn(`subnet/${id}`)),
        ec2Arn(`security-group/${clusterSecurityGroup.securityGroupId}`),
      ],
    }),
    new iam.PolicyStatement({
      sid: "KafkaEventSourceInterfacesDelete",
      actions: ["ec2:DeleteNetworkInterface"],
      resources: [anyInterface],
    }),
    // Lambda reads the cluster's VPC, subnets and security groups and the interfaces it placed;
    // EC2's Describe* actions support no resource-level scoping, so "*" is the narrowest there is
    new iam.PolicyStatement({
      sid: "KafkaEventSourceNetwork",
      actions: [
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkInterfaces",
      ],
      resources: ["*"],
    }),
  ];
}

/** `health` -> `RouteHealth`, `not-found` -> `RouteNotFound`: stable construct ids, one per route handler. */
export function routeFunctionId(handler: HandlerName | "not-found"): string {
  return `Route${handler.replace(/(?:^|-)(\w)/g, (_, c: string) => c.toUpperCase())}`;
}

/**
 * Alerts: risk.halted from the consumer and CloudWatch alarm notifications. Encrypted with a
 * customer-managed key because CloudWatch cannot publish to a topic under the AWS-managed SNS key.
 */
function alertsTopic(stack: Stack, settings: ReturnType<typeof stageSettings>): sns.Topic {
  const key = new kms.Key(stack, "AlertsKey", {
    description: `${settings.prefix} alerts topic`,
    enableKeyRotation: true,
    removalPolicy: settings.removalPolicy,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "CloudWatchAlarmsPublish",
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
      // in a key policy "*" means this key
      resources: ["*"],
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
  );
  const topic = new sns.Topic(stack, "Alerts", {
    topicName: `${settings.prefix}-alerts`,
    masterKey: key,
    enforceSSL: true,
  });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "CloudWatchAlarmsPublish",
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
  );
  return topic;
}

/**
 * The Kafka event source's on-failure destination: S3 keeps the whole failed invocation, records
 * included (SQS and SNS would get only metadata). CDK's own S3OnFailureDestination grants full
 * read/write; Lambda needs only to list the bucket and put objects.
 */
class S3FailedBatchDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "FailedBatchesList",
        actions: ["s3:ListBucket"],
        resources: [this.bucket.bucketArn],
      }),
    );
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "FailedBatchesWrite",
        actions: ["s3:PutObject"],
        resources: [this.bucket.arnForObjects("*")],
      }),
    );
    return { destination: this.bucket.bucketArn };
  }
}
