import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignUpSetting } from "../settings";
import { resourcesOf, synthesize, type CfnResource, type Synthesized } from "./synth";

let app: Synthesized;
const before = process.env.TICKFLOW_SELF_SIGN_UP;

beforeAll(async () => {
  // the setting is read when the stage is synthesized (stacks/settings.ts)
  process.env.TICKFLOW_SELF_SIGN_UP = "true";
  app = await synthesize("signup-test");
});

afterAll(() => {
  if (before === undefined) delete process.env.TICKFLOW_SELF_SIGN_UP;
  else process.env.TICKFLOW_SELF_SIGN_UP = before;
});

describe("a stage with self sign-up (TICKFLOW_SELF_SIGN_UP=true)", () => {
  it("lets anyone sign up, with a verified e-mail address", () => {
    const [[, pool]] = resourcesOf(app.json.Auth, "AWS::Cognito::UserPool") as [[string, CfnResource]];
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: expect.objectContaining({ AllowAdminCreateUserOnly: false }),
      AutoVerifiedAttributes: ["email"],
      VerificationMessageTemplate: expect.objectContaining({ DefaultEmailOption: "CONFIRM_WITH_CODE" }),
    });
  });

  it("still makes no one a trader: the group is joined only by an administrator", () => {
    // no trigger could add a new user to a group: the pool has no Lambda configuration at all
    const [[, pool]] = resourcesOf(app.json.Auth, "AWS::Cognito::UserPool") as [[string, CfnResource]];
    expect(pool.Properties!.LambdaConfig).toBeUndefined();
    expect(resourcesOf(app.json.Auth, "AWS::Cognito::UserPoolGroup").map(([, g]) => g.Properties!.GroupName)).toEqual([
      "trader",
    ]);
    expect(resourcesOf(app.json.Auth, "AWS::Cognito::UserPoolUserToGroupAttachment")).toEqual([]);
  });
});

describe("TICKFLOW_SELF_SIGN_UP", () => {
  it("is off unless set to true, and refuses anything but true or false", () => {
    expect(selfSignUpSetting(undefined)).toBe(false);
    expect(selfSignUpSetting("")).toBe(false);
    expect(selfSignUpSetting("false")).toBe(false);
    expect(selfSignUpSetting("TRUE")).toBe(true);
    expect(() => selfSignUpSetting("yes")).toThrow(/TICKFLOW_SELF_SIGN_UP/);
  });
});
