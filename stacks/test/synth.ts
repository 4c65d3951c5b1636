import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../sst.config";
import { Api } from "../api";
import { Network } from "../network";
import { Observability } from "../observability";
import { Streaming } from "../streaming";
import { Web } from "../web";
import { Workers } from "../workers";

/** Where the synthesized templates go for cfn-lint and checkov (stacks/check-templates.sh). */
export const TEMPLATE_DIR = path.resolve(".build/cfn");

export const STACKS = { Network, Streaming, Workers, Api, Web, Observability } as const;
export type StackName = keyof typeof STACKS;

export interface Synthesized {
  templates: Record<StackName, Template>;
  json: Record<StackName, CfnTemplate>;
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
export async function synthesize(stage = "test"): Promise<Synthesized> {
  await initProject({ stage });
  const app = new App({ mode: "deploy", stage, name: "tickflow", region: "us-east-1", account: "123456789012" });
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
  return { templates, json };
}

/** Resources of a type, by logical id. */
export function resourcesOf(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
