import { Duration } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import * as rds from "aws-cdk-lib/aws-rds";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { use, type StackContext } from "sst/constructs";
import { Network } from "./network";
import { POSTGRES_PORT } from "./settings";

/** The read side's database, and its owner: the user the projector connects as (DESIGN.md, history issue). */
export const DATABASE_NAME = "tickflow";
export const DATABASE_USER = "tickflow";

/**
 * Aurora PostgreSQL 17.5: the newest engine aws-cdk-lib 2.224 names; the RDS Data API serves
 * Aurora PostgreSQL 17 from 17.4 on.
 */
export const DATABASE_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_17_5;

/** What the Workers and Api stacks take from the cluster. */
export interface ReadSideDatabase {
  readonly cluster: rds.DatabaseCluster;
  /** The generated owner credentials (`username`, `password`, `host`, ...), as Secrets Manager JSON. */
  readonly secret: secretsmanager.ISecret;
  /** The writer's DNS name: the cluster endpoint. */
  readonly hostname: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
}

/**
 * The read side's PostgreSQL: Aurora Serverless v2 from aws-cdk-lib (`rds.DatabaseCluster` with
 * `db.serverless` instances; SST v2's RDS construct would create Aurora Serverless v1, which AWS
 * has retired). In the private isolated subnets behind its own security group, which admits 5432
 * from the projector only; storage and Performance Insights encrypted with a customer-managed
 * key; the owner's password generated into Secrets Manager; the Data API on for
 * the API Lambdas; IAM database authentication on; PostgreSQL logs in CloudWatch with retention.
 *
 * Under `sst dev` nothing is deployed: the route Lambdas run on the developer's machine and read
 * the local read side, as they call the local workers (the projector runs there too).
 */
export function Database({ stack }: StackContext): { database: ReadSideDatabase | undefined } {
  const { vpc, privateSubnets, securityGroups, settings } = use(Network);
  if (settings.dev) return { database: undefined };

  const key = new kms.Key(stack, "DatabaseKey", {
    description: `${settings.prefix} Aurora PostgreSQL storage and Performance Insights`,
    enableKeyRotation: true,
    removalPolicy: settings.removalPolicy,
  });

  // RDS writes the exported PostgreSQL log to /aws/rds/cluster/<id>/postgresql and creates that
  // group, without retention, if it does not exist; aws-cdk-lib's cloudwatchLogsRetention would
  // set one through a LogRetention custom resource (a Lambda allowed to change every log group).
  // So the group is created here, with its retention, before the cluster.
  const clusterIdentifier = `${settings.prefix}-db`.toLowerCase();
  const postgresLogs = new logs.LogGroup(stack, "PostgresLogs", {
    logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });

  const instance = {
    publiclyAccessible: false,
    autoMinorVersionUpgrade: true,
  } satisfies rds.ServerlessV2ClusterInstanceProps;

  const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: DATABASE_ENGINE_VERSION });
  const parameterGroup = new rds.ParameterGroup(stack, "ClusterParameters", {
    engine,
    description: `${settings.prefix} Aurora PostgreSQL: TLS only, SCRAM passwords`,
    parameters: {
      // connections without TLS are refused (Aurora PostgreSQL's default is to accept them)
      "rds.force_ssl": "1",
      // the family's default, written out: the Data API accepts only SCRAM passwords on 14 and later
      password_encryption: "scram-sha-256",
    },
    // kept with a retained cluster, which cannot be left without its parameter group
    removalPolicy: settings.removalPolicy,
  });

  const cluster = new rds.DatabaseCluster(stack, "Cluster", {
    clusterIdentifier,
    engine,
    parameterGroup,
    port: POSTGRES_PORT,
    writer: rds.ClusterInstance.serverlessV2("writer", instance),
    // a standby in failover tier 1 that scales with the writer (stacks/settings.ts says why production only)
    readers: settings.databaseStandbyReader
      ? [rds.ClusterInstance.serverlessV2("reader", { ...instance, scaleWithWriter: true })]
      : [],
    serverlessV2MinCapacity: settings.databaseMinCapacity,
    serverlessV2MaxCapacity: settings.databaseMaxCapacity,
    enableDataApi: true,
    defaultDatabaseName: DATABASE_NAME,
    // under Secrets Manager's AWS-managed key, not this one: the secret's readers are roles of the
    // Workers and Api stacks, and a grant to them on a customer key names them in the key policy
    // here, a reference back that would make this stack and theirs depend on each other
    credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER, {
      secretName: `${settings.prefix}/database/${DATABASE_USER}`,
    }),
    iamAuthentication: true,
    storageEncrypted: true,
    storageEncryptionKey: key,
    vpc,
    vpcSubnets: privateSubnets,
    securityGroups: [securityGroups.database],
    cloudwatchLogsExports: ["postgresql"],
    // Database Insights standard mode: Performance Insights with 7 days of history, free of charge
    enablePerformanceInsights: true,
    performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
    performanceInsightEncryptionKey: key,
    backup: { retention: Duration.days(settings.databaseBackupDays) },
    copyTagsToSnapshot: true,
    deletionProtection: settings.deletionProtection,
    removalPolicy: settings.removalPolicy,
  });
  cluster.node.defaultChild!.node.addDependency(postgresLogs);
  // the generated secret (cluster.secret is its attachment to the cluster): the owner's
  // password outlives the stage only where the cluster does
  (cluster.node.findChild("Secret") as rds.DatabaseSecret).applyRemovalPolicy(settings.removalPolicy);
  const secret = cluster.secret!;

  stack.addOutputs({
    DatabaseClusterArn: cluster.clusterArn,
    DatabaseSecretArn: secret.secretArn,
    DatabaseEndpoint: cluster.clusterEndpoint.hostname,
  });
  return {
    database: {
      cluster,
      secret,
      hostname: cluster.clusterEndpoint.hostname,
      port: POSTGRES_PORT,
      name: DATABASE_NAME,
      user: DATABASE_USER,
    },
  };
}
