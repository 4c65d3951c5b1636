import { PROJECTED_TOPICS } from "@tickflow/projector";
import { TOPICS } from "@tickflow/bus";
import { Aws, Duration, type Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as servicediscovery from "aws-cdk-lib/aws-servicediscovery";
import { Service, use, type StackContext } from "sst/constructs";
import { Database } from "./database";
import { ALL_TOPICS, bootstrapStatement, kafkaStatements, READ_GROUP_PATTERN } from "./kafka-iam";
import { Network } from "./network";
import { WORKER_PORTS, type stageSettings } from "./settings";
import { Streaming } from "./streaming";

/** The strategy worker's consumer group; its transactional id is `<group>-engine` (packages/strategy/src/service.ts). */
export const STRATEGY_GROUP_ID = "tickflow-strategy";
export const STRATEGY_TRANSACTIONAL_ID = `${STRATEGY_GROUP_ID}-engine`;

/**
 * The projector's consumer group. It joins the group for partition assignment only: its offsets
 * live in PostgreSQL, committed in the same transaction as the rows (DESIGN.md, history issue).
 */
export const PROJECTOR_GROUP_ID = "tickflow-projector";

/** The topics the projector reads into PostgreSQL (read_committed): the projector's own list. */
export const PROJECTOR_TOPICS = PROJECTED_TOPICS;

/** Cloud Map names the gateway resolves inside the VPC. */
export const DISCOVERY_NAMES = { marketData: "market-data", strategy: "strategy" } as const;

/**
 * The three workers as ECS Fargate services built from their Dockerfiles: one task each (each is
 * the single active member of its Kafka role), in the private subnets, market-data and strategy
 * registered in Cloud Map (the API calls them; nothing calls the projector), with task roles that
 * may do only what each worker does on this cluster's topics and groups. The projector gets the
 * database's password from ECS (a container secret), never in its plain environment.
 * Logs go to CloudWatch with retention; the EMF metrics ride in those logs (METRICS_SINK=emf with
 * AWS_EMF_ENVIRONMENT=Local prints EMF JSON to stdout, the awslogs driver ships it).
 */
export function Workers({ stack, app }: StackContext) {
  const { vpc, privateSubnets, securityGroups, settings } = use(Network);
  const kafka = use(Streaming);
  const { database } = use(Database);

  const namespace = new servicediscovery.PrivateDnsNamespace(stack, "Namespace", {
    name: `${app.stage}.${app.name}.internal`,
    vpc,
    description: "Tickflow workers, resolved by the API Lambdas",
  });
  const cluster = new ecs.Cluster(stack, "Cluster", {
    clusterName: `${settings.prefix}-workers`,
    vpc,
    containerInsightsV2: ecs.ContainerInsights.ENABLED,
  });

  const common = {
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    KAFKA_AUTH: "msk-iam",
    MSK_CLUSTER_ARN: kafka.clusterArn,
    // under `sst dev` SST turns each Service into a stub Lambda with this environment, and Lambda
    // reserves AWS_REGION (synthesis fails); the stub runs nothing of ours, so it needs none of it
    ...(settings.dev ? {} : { AWS_REGION: Aws.REGION }),
    METRICS_SINK: "emf",
    AWS_EMF_ENVIRONMENT: "Local",
  };

  const marketData = worker(stack, {
    id: "MarketData",
    name: DISCOVERY_NAMES.marketData,
    dockerfile: "packages/market-data/Dockerfile",
    port: WORKER_PORTS.marketData,
    cpu: "0.25 vCPU",
    memory: "0.5 GB",
    environment: { ...common, MD_HTTP_HOST: "0.0.0.0", MD_HTTP_PORT: String(WORKER_PORTS.marketData) },
    securityGroup: securityGroups.marketData,
    context: { vpc, privateSubnets, cluster, namespace, settings },
  });
  marketData.attachPermissions([
    bootstrapStatement(kafka),
    ...kafkaStatements(kafka, {
      idempotentProducer: true,
      manageTopics: ALL_TOPICS,
      // resumes each symbol's sequence from the tail of the quotes topic
      read: ["quotes"],
      write: ["quotes"],
      groups: [READ_GROUP_PATTERN],
    }),
  ]);

  const strategy = worker(stack, {
    id: "Strategy",
    name: DISCOVERY_NAMES.strategy,
    dockerfile: "packages/strategy/Dockerfile",
    port: WORKER_PORTS.strategy,
    cpu: "0.5 vCPU",
    memory: "1 GB",
    environment: {
      ...common,
      ST_HTTP_HOST: "0.0.0.0",
      ST_HTTP_PORT: String(WORKER_PORTS.strategy),
      ST_GROUP_ID: STRATEGY_GROUP_ID,
    },
    securityGroup: securityGroups.strategy,
    context: { vpc, privateSubnets, cluster, namespace, settings },
  });
  strategy.attachPermissions([
    bootstrapStatement(kafka),
    ...kafkaStatements(kafka, {
      idempotentProducer: true,
      manageTopics: ALL_TOPICS,
      // inputs (quotes, and the commands it applies in the same transactions), the state
      // changelog it restores from, and the read models it primes at start
      read: ["quotes", "commands", "state", "bars", "signals", "orders", "trades", "risk"],
      // the engine's outputs (equity samples and each command's outcome among them), dead
      // letters, and its snapshot, in one transaction per batch
      write: ["bars", "signals", "orders", "trades", "positions", "risk", "equity", "commands", "dlq", "state"],
      groups: [STRATEGY_GROUP_ID, READ_GROUP_PATTERN],
      transactionalIds: [STRATEGY_TRANSACTIONAL_ID],
    }),
  ]);

  const projector = worker(stack, {
    id: "Projector",
    name: "projector",
    dockerfile: "packages/projector/Dockerfile",
    port: WORKER_PORTS.projector,
    cpu: "0.25 vCPU",
    memory: "0.5 GB",
    discoverable: false,
    environment: {
      ...common,
      // under `sst dev` the service is not deployed and there is no cluster (stacks/database.ts)
      ...(database
        ? {
            PGHOST: database.hostname,
            PGPORT: String(database.port),
            PGDATABASE: database.name,
            PGUSER: database.user,
            PGSSLMODE: "require",
          }
        : {}),
    },
    // ECS reads the password from Secrets Manager at task start (the execution role may read this
    // one secret) and hands it to the container; it never appears in the task definition
    ...(database ? { secrets: { PGPASSWORD: ecs.Secret.fromSecretsManager(database.secret, "password") } } : {}),
    securityGroup: securityGroups.projector,
    context: { vpc, privateSubnets, cluster, namespace, settings },
  });
  projector.attachPermissions([
    bootstrapStatement(kafka),
    ...kafkaStatements(kafka, {
      // its dead letters go through the bus's idempotent producer
      idempotentProducer: true,
      read: PROJECTOR_TOPICS,
      write: ["dlq"],
      groups: [PROJECTOR_GROUP_ID],
    }),
  ]);

  dropUnusedLogRetention(stack);

  // `sst dev` runs the Lambdas on the developer's machine, next to `npm start`'s workers.
  const urls = settings.dev
    ? {
        marketData: `http://127.0.0.1:${WORKER_PORTS.marketData}`,
        strategy: `http://127.0.0.1:${WORKER_PORTS.strategy}`,
      }
    : {
        marketData: `http://${DISCOVERY_NAMES.marketData}.${namespace.namespaceName}:${WORKER_PORTS.marketData}`,
        strategy: `http://${DISCOVERY_NAMES.strategy}.${namespace.namespaceName}:${WORKER_PORTS.strategy}`,
      };
  stack.addOutputs({ MarketDataUrl: urls.marketData, StrategyUrl: urls.strategy });
  return { marketData, strategy, projector, urls, cluster, topics: TOPICS };
}

interface WorkerProps {
  id: string;
  name: string;
  dockerfile: string;
  port: number;
  cpu: "0.25 vCPU" | "0.5 vCPU";
  memory: "0.5 GB" | "1 GB";
  environment: Record<string, string>;
  /** Container variables ECS resolves at task start (from Secrets Manager), kept out of the task definition. */
  secrets?: Record<string, ecs.Secret>;
  /** Registered in Cloud Map as `<name>.<namespace>` (default true): only workers something calls. */
  discoverable?: boolean;
  securityGroup: ec2.ISecurityGroup;
  context: {
    vpc: ec2.IVpc;
    privateSubnets: ec2.SubnetSelection;
    cluster: ecs.ICluster;
    namespace: servicediscovery.IPrivateDnsNamespace;
    settings: ReturnType<typeof stageSettings>;
  };
}

function worker(stack: Stack, props: WorkerProps): Service {
  const { vpc, privateSubnets, cluster, namespace, settings } = props.context;
  const logGroup = new logs.LogGroup(stack, `${props.id}Logs`, {
    logGroupName: `/tickflow/${settings.prefix}/${props.name}`,
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  const health = `fetch('http://127.0.0.1:${props.port}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return new Service(stack, props.id, {
    // the build context is the repository root: the image bundles workspace packages
    path: ".",
    file: props.dockerfile,
    port: props.port,
    cpu: props.cpu,
    memory: props.memory,
    architecture: "x86_64",
    environment: props.environment,
    logRetention: settings.logRetentionName,
    // one task, never two: a second market-data would fork the tick sequence, a second strategy
    // would fence the first's transactional id, and a second projector would only share the
    // partitions and the database's write load with the first; no autoscaling policies
    scaling: {
      minContainers: 1,
      maxContainers: 1,
      cpuUtilization: false,
      memoryUtilization: false,
      requestsPerContainer: false,
    },
    cdk: {
      vpc,
      cluster,
      // internal workers: no load balancer, no CloudFront
      applicationLoadBalancer: false,
      cloudfrontDistribution: false,
      fargateService: {
        serviceName: `${settings.prefix}-${props.name}`,
        desiredCount: 1,
        // stop the old task before starting the new one (see above)
        minHealthyPercent: 0,
        maxHealthyPercent: 100,
        circuitBreaker: { rollback: true },
        securityGroups: [props.securityGroup],
        vpcSubnets: privateSubnets,
        assignPublicIp: false,
        enableExecuteCommand: false,
        ...(props.discoverable === false
          ? {}
          : {
              cloudMapOptions: {
                name: props.name,
                cloudMapNamespace: namespace,
                dnsRecordType: servicediscovery.DnsRecordType.A,
                dnsTtl: Duration.seconds(10),
              },
            }),
      },
      container: {
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: props.name }),
        ...(props.secrets ? { secrets: props.secrets } : {}),
        readonlyRootFilesystem: true,
        // SIGTERM drains in-flight work and commits; give it time before SIGKILL
        stopTimeout: Duration.seconds(30),
        healthCheck: {
          command: ["CMD", "node", "-e", health],
          interval: Duration.seconds(15),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(60),
        },
      },
    },
  });
}

/**
 * SST's Service always creates a LogRetention custom resource (a Lambda allowed
 * logs:PutRetentionPolicy on every log group) for its own log group. The containers log to the
 * groups above, which carry their retention natively, so that helper and its group go unused:
 * remove them rather than deploy a Lambda with a wildcard policy that does nothing.
 */
function dropUnusedLogRetention(stack: Stack): void {
  for (const service of stack.node.children.filter((c): c is Service => c instanceof Service)) {
    service.node.tryRemoveChild("LogRetention");
    service.node.tryRemoveChild("LogGroup");
  }
  const stillUsed = stack.node
    .findAll()
    .some(
      (c) =>
        c.node.id === "LogRetention" || (c as { cfnResourceType?: string }).cfnResourceType === "Custom::LogRetention",
    );
  if (stillUsed) return;
  for (const child of stack.node.children) {
    if (child.node.id.startsWith("LogRetention")) stack.node.tryRemoveChild(child.node.id);
  }
}
