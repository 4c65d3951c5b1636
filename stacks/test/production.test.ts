import { beforeAll, describe, expect, it } from "vitest";
import { resourcesOf, synthesize, type CfnResource, type Synthesized } from "./synth";

let app: Synthesized;

beforeAll(async () => {
  app = await synthesize("prod");
});

describe("the production stage", () => {
  it("runs m7g.large brokers with room to grow", () => {
    const [, cluster] = resourcesOf(app.json.Streaming, "AWS::MSK::Cluster")[0]!;
    const nodes = cluster.Properties!.BrokerNodeGroupInfo as {
      InstanceType: string;
      StorageInfo: { EBSStorageInfo: { VolumeSize: number } };
    };
    expect(nodes.InstanceType).toBe("kafka.m7g.large");
    expect(nodes.StorageInfo.EBSStorageInfo.VolumeSize).toBe(100);
  });

  it("retains its stateful resources when the stage is removed", () => {
    const stateful = [
      ...resourcesOf(app.json.Streaming, "AWS::MSK::Cluster"),
      ...resourcesOf(app.json.Streaming, "AWS::KMS::Key"),
      ...resourcesOf(app.json.Database, "AWS::RDS::DBCluster"),
      ...resourcesOf(app.json.Database, "AWS::RDS::DBInstance"),
      // a retained cluster keeps its subnet and parameter groups in use: deleting them would fail
      ...resourcesOf(app.json.Database, "AWS::RDS::DBSubnetGroup"),
      ...resourcesOf(app.json.Database, "AWS::RDS::DBClusterParameterGroup"),
      ...resourcesOf(app.json.Database, "AWS::SecretsManager::Secret"),
      ...resourcesOf(app.json.Database, "AWS::KMS::Key"),
      ...resourcesOf(app.json.Database, "AWS::Logs::LogGroup"),
      ...resourcesOf(app.json.Api, "AWS::KMS::Key"),
      ...resourcesOf(app.json.Network, "AWS::S3::Bucket"),
      ...resourcesOf(app.json.Api, "AWS::S3::Bucket"),
      ...resourcesOf(app.json.Workers, "AWS::Logs::LogGroup"),
      // the users
      ...resourcesOf(app.json.Auth, "AWS::Cognito::UserPool"),
    ];
    expect(stateful.length).toBeGreaterThanOrEqual(16);
    for (const [id, r] of stateful) expect({ id, policy: r.DeletionPolicy }).toEqual({ id, policy: "Retain" });
  });

  it("lets the risk consumer report failed records individually, and tells it so", () => {
    const mappings = resourcesOf(app.json.Api, "AWS::Lambda::EventSourceMapping").map(
      ([, m]) => m.Properties as Record<string, unknown>,
    );
    expect(mappings).toHaveLength(2);
    for (const m of mappings) {
      expect(m.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      expect(m.ProvisionedPollerConfig).toEqual({ MinimumPollers: 1, MaximumPollers: 2 });
    }
    const [, consumer] = resourcesOf(app.json.Api, "AWS::Lambda::Function").find(([id]) =>
      id.startsWith("RiskConsumer"),
    )!;
    expect(JSON.stringify(consumer.Properties!.Environment)).toContain('"KAFKA_REPORT_BATCH_ITEM_FAILURES":"true"');
  });

  it("protects the database from deletion, keeps two weeks of backups and scales it further", () => {
    const [, cluster] = resourcesOf(app.json.Database, "AWS::RDS::DBCluster")[0]!;
    expect(cluster.Properties).toMatchObject({
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 },
    });
  });

  it("keeps a Serverless v2 standby in failover tier 1, which scales with the writer", () => {
    const instances = resourcesOf(app.json.Database, "AWS::RDS::DBInstance").map(
      ([, i]) => i.Properties as Record<string, unknown>,
    );
    expect(instances.map((i) => [i.DBInstanceClass, i.PromotionTier]).sort()).toEqual([
      ["db.serverless", 0],
      ["db.serverless", 1],
    ]);
  });

  it("protects the user pool from deletion and enforces Cognito's threat protection on sign-in", () => {
    const [[, pool]] = resourcesOf(app.json.Auth, "AWS::Cognito::UserPool") as [[string, CfnResource]];
    expect(pool.Properties).toMatchObject({
      DeletionProtection: "ACTIVE",
      UserPoolTier: "PLUS",
      UserPoolAddOns: { AdvancedSecurityMode: "ENFORCED" },
      // sign-up is off in production as everywhere, unless TICKFLOW_SELF_SIGN_UP says otherwise
      AdminCreateUserConfig: expect.objectContaining({ AllowAdminCreateUserOnly: true }),
    });
  });

  it("never empties a bucket on removal", () => {
    for (const t of Object.values(app.json)) expect(resourcesOf(t, "Custom::S3AutoDeleteObjects")).toEqual([]);
  });
});
