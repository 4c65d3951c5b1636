import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { expect } from "vitest";
import { App, StaticSite, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../sst.config";
import { Api } from "../api";
import { Auth } from "../auth";
import { Database } from "../database";
import { Network } from "../network";
import { Observability } from "../observability";
import { Stream } from "../stream";
import { Streaming } from "../streaming";
import { Web } from "../web";
import { Workers } from "../workers";

/** Where the synthesized templates go for cfn-lint and checkov (stacks/check-templates.sh). */
export const TEMPLATE_DIR = path.resolve(".build/cfn");

export const STACKS = { Network, Auth, Streaming, Database, Workers, Api, Stream, Web, Observability } as const;
export type StackName = keyof typeof STACKS;

export interface Synthesized {
  templates: Record<StackName, Template>;
  json: Record<StackName, CfnTemplate>;
  /**
   * The dashboard's build-time environment, each value resolved to CloudFormation in the stack
   * that defines it (a `Ref` to the Auth stack's pool, for instance). The site is built only at
   * deploy (SST defers it, and puts deploy-time values in with a custom resource), so it is not
   * in the template: this is what the StaticSite was given.
   */
  webEnvironment: Record<string, unknown>;
}

export interface CfnResource {
  Type: string;
  DeletionPolicy?: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/**
 * Synthesizes the app exactly as sst.config.ts composes it, offline: SST's documented test setup
 * (`initProject` then a deploy-mode `App`), no AWS credentials, no Docker (SST skips Service
 * image builds under NODE_ENV=test), no site build (deferred tasks are not run).
 */
export async function synthesize(stage = "test", mode: "deploy" | "dev" = "deploy"): Promise<Synthesized> {
  await initProject({ stage });
  const app = new App({ mode, stage, name: "tickflow", region: "us-east-1", account: "123456789012" });
  config.stacks(app);
  const templates = {} as Record<StackName, Template>;
  const json = {} as Record<StackName, CfnTemplate>;
  mkdirSync(TEMPLATE_DIR, { recursive: true });
  for (const [name, fn] of Object.entries(STACKS) as [StackName, (typeof STACKS)[StackName]][]) {
    const stack = getStack(fn);
    templates[name] = Template.fromStack(stack);
    json[name] = templates[name].toJSON() as CfnTemplate;
    writeFileSync(path.join(TEMPLATE_DIR, `${stack.stackName}.template.json`), JSON.stringify(json[name], null, 2));
  }
  const web = getStack(STACKS.Web);
  const site = web.node.findAll().find((c): c is StaticSite => c instanceof StaticSite);
  if (!site) throw new Error("the Web stack has no StaticSite");
  const webEnvironment = web.resolve(site.getConstructMetadata().data.environment) as Record<string, unknown>;
  return { templates, json, webEnvironment };
}

/** Resources of a type, by logical id. */
export function resourcesOf(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

interface PolicyStatementJson {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

/**
 * What the MSK event-source mappings need (AWSLambdaMSKExecutionRole's ec2 actions), as narrowly
 * as EC2 allows: interfaces created in the cluster's two subnets with the cluster's security
 * group; an interface's id does not exist before it is created, so its ARN ends in "*"; the
 * Describe* actions take no resource at all.
 */
export const EVENT_SOURCE_NETWORK: Record<"create" | "delete" | "describe", unknown> = {
  create: [
    expect.stringContaining(":network-interface/*"),
    expect.stringMatching(/:subnet\/.*privateSubnet1/),
    expect.stringMatching(/:subnet\/.*privateSubnet2/),
    expect.stringMatching(/:security-group\/.*KafkaSecurityGroup/),
  ],
  delete: [expect.stringContaining(":network-interface/*")],
  describe: expect.arrayContaining([
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
  ]),
};

/**
 * What the risk consumer's role lets its MSK event-source mappings do in the VPC: the resources
 * of CreateNetworkInterface and DeleteNetworkInterface (each ARN as JSON text: its ids are
 * imports from the Network stack), and the Describe* actions it may call on "*".
 */
export function eventSourceNetworkGrants(api: CfnTemplate): { create: string[]; delete: string[]; describe: string[] } {
  const statements = resourcesOf(api, "AWS::IAM::Policy")
    .filter(([id]) => id.startsWith("RiskConsumer"))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
  const actions = (s: PolicyStatementJson) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
  const resources = (action: string) =>
    statements
      .filter((s) => actions(s).includes(action))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => JSON.stringify(r)));
  return {
    create: resources("ec2:CreateNetworkInterface"),
    delete: resources("ec2:DeleteNetworkInterface"),
    describe: statements
      .filter((s) => s.Resource === "*")
      .flatMap(actions)
      .filter((a) => a.startsWith("ec2:Describe")),
  };
}
