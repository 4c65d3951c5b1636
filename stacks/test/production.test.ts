import { beforeAll, describe, expect, it } from "vitest";
import { resourcesOf, synthesize, type Synthesized } from "./synth";

let app: Synthesized;

beforeAll(async () => {
  app = await synthesize("prod");
});

describe("the production stage", () => {
  it("runs m7g.large brokers with room to grow", () => {
    const [, cluster] = resourcesOf(app.json.Streaming, "AWS::MSK::Cluster")[0]!;
    const nodes = cluster.Properties!.BrokerNodeGroupInfo as { InstanceType: string; StorageInfo: { EBSStorageInfo: { VolumeSize: number } } };
    expect(nodes.InstanceType).toBe("kafka.m7g.large");
    expect(nodes.StorageInfo.EBSStorageInfo.VolumeSize).toBe(100);
  });

  it("retains its stateful resources when the stage is removed", () => {
    const stateful = [
      ...resourcesOf(app.json.Streaming, "AWS::MSK::Cluster"),
      ...resourcesOf(app.json.Streaming, "AWS::KMS::Key"),
      ...resourcesOf(app.json.Api, "AWS::KMS::Key"),
      ...resourcesOf(app.json.Network, "AWS::S3::Bucket"),
      ...resourcesOf(app.json.Api, "AWS::S3::Bucket"),
      ...resourcesOf(app.json.Workers, "AWS::Logs::LogGroup"),
    ];
    expect(stateful.length).toBeGreaterThanOrEqual(7);
    for (const [id, r] of stateful) expect({ id, policy: r.DeletionPolicy }).toEqual({ id, policy: "Retain" });
  });

  it("never empties a bucket on removal", () => {
    for (const t of Object.values(app.json)) expect(resourcesOf(t, "Custom::S3AutoDeleteObjects")).toEqual([]);
  });
});
