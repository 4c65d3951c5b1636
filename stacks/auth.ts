import { Duration } from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
// the group whose members' access tokens carry it in `cognito:groups`: the gateway gives them the trader role
import { TRADER_GROUP } from "@tickflow/gateway";
import type { StackContext } from "sst/constructs";
import { stageSettings } from "./settings";

/** The dashboard's tokens: an access token lasts an hour, a session (the refresh token) a working day. */
export const ACCESS_TOKEN_VALIDITY = Duration.hours(1);
export const REFRESH_TOKEN_VALIDITY = Duration.hours(12);

/**
 * Who may call the API on AWS: a Cognito user pool, its `trader` group and one app client, the
 * dashboard's (a public client: no secret, user-password and SRP sign-in, no hosted UI). The HTTP
 * API's JWT authorizer (stacks/api.ts) accepts the access tokens this client is issued, on every
 * route but health, and each handler verifies them again with aws-jwt-verify.
 *
 * Users are created by an administrator (stacks/README.md, Auth) unless `TICKFLOW_SELF_SIGN_UP`
 * turns sign-up on (stacks/settings.ts); a self-signed-up user is a viewer until an administrator
 * adds them to the group. A stateful stack: its users outlive a redeploy, and in production the
 * pool is retained on removal and protected from deletion.
 */
export function Auth({ stack, app }: StackContext) {
  const settings = stageSettings(app);

  const userPool = new cognito.UserPool(stack, "UserPool", {
    userPoolName: `${settings.prefix}-users`,
    selfSignUpEnabled: settings.selfSignUp,
    // with sign-up on, an account is usable only once its e-mail address is verified
    userVerification: { emailStyle: cognito.VerificationEmailStyle.CODE },
    autoVerify: { email: true },
    signInAliases: { username: true },
    signInCaseSensitive: false,
    standardAttributes: { email: { required: true, mutable: true } },
    keepOriginal: { email: true },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    passwordPolicy: {
      minLength: 14,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      // the temporary password of an administrator's invitation
      tempPasswordValidity: Duration.days(3),
      passwordHistorySize: 5,
    },
    userInvitation: {
      emailSubject: "Your Tickflow account",
      emailBody:
        "Your Tickflow user name is {username} and your temporary password is {####}. Set your own before you sign in to the dashboard (ask your administrator how).",
    },
    // The dashboard signs in with one InitiateAuth (USER_PASSWORD_AUTH) and answers no challenge:
    // not MFA, nor a temporary password's NEW_PASSWORD_REQUIRED. So administrators set permanent
    // passwords (stacks/README.md, Auth), and MFA stays off until the dashboard answers it.
    mfa: cognito.Mfa.OFF,
    // production: threat protection (compromised credentials, adaptive authentication), enforced
    featurePlan: settings.authThreatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
    ...(settings.authThreatProtection
      ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION }
      : {}),
    deletionProtection: settings.deletionProtection,
    removalPolicy: settings.removalPolicy,
  });

  const traders = new cognito.UserPoolGroup(stack, "TraderGroup", {
    userPool,
    groupName: TRADER_GROUP,
    description: "Traders: may submit commands (strategies, orders); everyone else only reads",
    precedence: 0,
  });

  const dashboardClient = userPool.addClient("DashboardClient", {
    userPoolClientName: `${settings.prefix}-dashboard`,
    // a browser cannot keep a secret
    generateSecret: false,
    // USER_PASSWORD_AUTH and USER_SRP_AUTH, and (added by CDK) REFRESH_TOKEN_AUTH
    authFlows: { userPassword: true, userSrp: true },
    // no hosted UI, no OAuth flows: the dashboard's own form calls InitiateAuth
    disableOAuth: true,
    accessTokenValidity: ACCESS_TOKEN_VALIDITY,
    idTokenValidity: ACCESS_TOKEN_VALIDITY,
    refreshTokenValidity: REFRESH_TOKEN_VALIDITY,
    enableTokenRevocation: true,
    // "incorrect user name or password" whether or not the user exists
    preventUserExistenceErrors: true,
    readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true }),
    writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
  });

  const region = stack.region;
  /** The `iss` of the pool's tokens, which the JWT authorizer and aws-jwt-verify check. */
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPool.userPoolId}`;

  stack.addOutputs({
    UserPoolId: userPool.userPoolId,
    UserPoolClientId: dashboardClient.userPoolClientId,
    CognitoRegion: region,
  });
  return { userPool, dashboardClient, traders, issuer, region };
}
