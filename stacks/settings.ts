import { RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { App } from "sst/constructs";

/** Stages that hold real data: their stateful resources are retained on `sst remove`. */
const PRODUCTION_STAGES = new Set(["prod", "production"]);

/**
 * What differs between stages, decided once so every stack agrees. Everything else is the same
 * everywhere: a preview stage is the production topology at the smallest sizes.
 */
export interface StageSettings {
  readonly production: boolean;
  /** `sst dev`: Lambdas run on the developer's machine, Services and the StaticSite are not deployed. */
  readonly dev: boolean;
  /** DESTROY outside production so `sst remove` leaves nothing behind; RETAIN in production. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** The same retention in the spelling SST's constructs take. */
  readonly logRetentionName: "two_weeks" | "three_months";
  /** MSK broker size: t3.small is the cheapest broker MSK offers; production gets m7g.large. */
  readonly brokerInstanceType: string;
  readonly brokerVolumeGiB: number;
  /**
   * Kafka event sources report failed records individually (ReportBatchItemFailures) only in
   * provisioned poller mode, which bills poller-hours: production pays for it, preview stages
   * retry the whole batch instead.
   */
  readonly kafkaPartialBatchResponses: boolean;
  /**
   * Aurora Serverless v2 capacity range, in ACUs (1 ACU is about 2 GiB of memory and its CPU).
   * The minimum stays at 0.5 everywhere: the engine would allow 0 (auto-pause, Aurora PostgreSQL
   * 16.3+ and 17.x), but the projector holds a connection at all times, so the cluster would never
   * pause, and a paused cluster answers the Data API only after a resume of about 15 seconds.
   */
  readonly databaseMinCapacity: number;
  readonly databaseMaxCapacity: number;
  /**
   * A second Serverless v2 instance (a reader in failover tier 1, scaling with the writer) in
   * production only: failover to it takes about a minute, against about ten for Aurora to
   * replace a lone writer. Nothing reads from it: the projector and the Data API use the writer.
   */
  readonly databaseStandbyReader: boolean;
  /** Days of automated, point-in-time-restorable backups of the database (1 is Aurora's minimum). */
  readonly databaseBackupDays: number;
  /** Deletion protection of stateful resources that have it: on in production, off where the stage must remove cleanly. */
  readonly deletionProtection: boolean;
  /**
   * Whether anyone may create an account in the Cognito user pool (SignUp with the dashboard's
   * client). Off unless `TICKFLOW_SELF_SIGN_UP=true` is set when the stage is synthesized: users
   * are created by an administrator (stacks/README.md, Auth). A self-signed-up user joins no group,
   * so is a viewer; only an administrator makes anyone a trader.
   */
  readonly selfSignUp: boolean;
  /**
   * Cognito's threat protection (the Plus feature plan: compromised-credential checks and adaptive
   * authentication, enforced) on the user pool, in production only: it bills per monthly active
   * user, and a preview stage's handful of test users gains nothing from it.
   */
  readonly authThreatProtection: boolean;
  /** Per-stage prefix for names that must be unique in the account and region. */
  readonly prefix: string;
}

/** `TICKFLOW_SELF_SIGN_UP`: "true" or "false" (default "false"); anything else stops the synthesis. */
export function selfSignUpSetting(value: string | undefined): boolean {
  const setting = (value ?? "").trim().toLowerCase();
  if (setting === "" || setting === "false") return false;
  if (setting === "true") return true;
  throw new Error(`TICKFLOW_SELF_SIGN_UP must be "true" or "false", not ${JSON.stringify(value)}`);
}

export function stageSettings(app: App): StageSettings {
  const production = PRODUCTION_STAGES.has(app.stage);
  return {
    production,
    dev: app.mode === "dev",
    removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: production ? RetentionDays.THREE_MONTHS : RetentionDays.TWO_WEEKS,
    logRetentionName: production ? "three_months" : "two_weeks",
    brokerInstanceType: production ? "kafka.m7g.large" : "kafka.t3.small",
    brokerVolumeGiB: production ? 100 : 20,
    kafkaPartialBatchResponses: production,
    databaseMinCapacity: 0.5,
    databaseMaxCapacity: production ? 16 : 4,
    databaseStandbyReader: production,
    databaseBackupDays: production ? 14 : 1,
    deletionProtection: production,
    selfSignUp: selfSignUpSetting(process.env.TICKFLOW_SELF_SIGN_UP),
    authThreatProtection: production,
    prefix: `${app.stage}-${app.name}`,
  };
}

/** Ports the workers serve their read APIs on (DESIGN.md, Services and ports). */
export const WORKER_PORTS = { marketData: 7001, strategy: 7002, projector: 7003 } as const;

/** PostgreSQL on the Aurora cluster: the projector connects to it; nothing else does (the API uses the Data API). */
export const POSTGRES_PORT = 5432;

/** MSK's SASL/IAM listener inside the VPC (TLS). */
export const KAFKA_IAM_PORT = 9098;

/** HTTPS to the VPC interface endpoints. */
export const HTTPS_PORT = 443;
