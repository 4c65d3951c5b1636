import { ApiError, postJson } from "./client";
import { jwtClaims, startSession, type Session } from "./session";
import type { Role, TokenAnswer } from "./types";

/**
 * Logging in. Locally the gateway issues the token (POST /api/auth/token, users from
 * AUTH_USERS); on AWS there is no such route: Cognito issues it, and the build says so with
 * VITE_COGNITO_CLIENT_ID and VITE_COGNITO_REGION.
 */

interface CognitoConfig {
  clientId: string;
  region: string;
}

function cognitoConfig(): CognitoConfig | null {
  const clientId = import.meta.env.VITE_COGNITO_CLIENT_ID;
  const region =
    import.meta.env.VITE_COGNITO_REGION ??
    // a user pool id starts with its region: eu-west-1_AbCdEf
    import.meta.env.VITE_COGNITO_USER_POOL_ID?.split("_")[0];
  return clientId && region ? { clientId, region } : null;
}

/** Logs in and starts the session; a refusal is an ApiError whose message says why. */
export async function logIn(username: string, password: string): Promise<Session> {
  const cognito = cognitoConfig();
  const session = cognito ? await cognitoLogIn(cognito, username, password) : await localLogIn(username, password);
  startSession(session);
  return session;
}

/** The local gateway's token: its role claim is what the UI shows (the gateway enforces it). */
async function localLogIn(username: string, password: string): Promise<Session> {
  const answer = await postJson<TokenAnswer>("/api/auth/token", { username, password });
  const claims = jwtClaims(answer.access_token) ?? {};
  const role: Role = claims.role === "trader" || claims.role === "viewer" ? claims.role : answer.role;
  return {
    token: answer.access_token,
    username: answer.username,
    role,
    expiresAt: expiry(claims, answer.expires_in),
  };
}

/** The answer of Cognito's InitiateAuth: tokens, or a challenge the dashboard cannot answer. */
interface InitiateAuthAnswer {
  AuthenticationResult?: { AccessToken?: string; ExpiresIn?: number };
  ChallengeName?: string;
}

/**
 * Cognito's USER_PASSWORD_AUTH flow by a plain fetch (no SDK in the bundle); the access token is
 * what the API's JWT authorizer checks. Members of the `trader` group trade, everyone else views.
 */
async function cognitoLogIn(config: CognitoConfig, username: string, password: string): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(`https://cognito-idp.${config.region}.amazonaws.com/`, {
      method: "POST",
      headers: {
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
        "content-type": "application/x-amz-json-1.1",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch (error) {
    throw new ApiError({
      status: 0,
      code: "network-error",
      title: "Network error",
      detail: `cannot reach Cognito (${(error as Error).message})`,
    });
  }
  const answer = (await response.json().catch(() => ({}))) as InitiateAuthAnswer & {
    __type?: string;
    message?: string;
  };
  if (!response.ok) {
    // "NotAuthorizedException", or "com.amazonaws...#UserNotFoundException"
    const type = answer.__type?.split("#").pop() ?? "";
    const refused = type === "NotAuthorizedException" || type === "UserNotFoundException";
    throw new ApiError({
      status: refused ? 401 : response.status,
      code: refused ? "invalid-credentials" : "cognito-error",
      title: type || response.statusText,
      detail: answer.message ?? `Cognito answered HTTP ${response.status}`,
    });
  }
  const token = answer.AuthenticationResult?.AccessToken;
  if (!token)
    throw new ApiError({
      status: 401,
      code: "cognito-challenge",
      title: "Challenge",
      detail: `Cognito asks for ${answer.ChallengeName ?? "another step"} before it issues a token: complete it first (a new password, MFA)`,
    });
  const claims = jwtClaims(token) ?? {};
  const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
  return {
    token,
    username: typeof claims.username === "string" ? claims.username : username,
    role: groups.includes("trader") ? "trader" : "viewer",
    expiresAt: expiry(claims, answer.AuthenticationResult?.ExpiresIn ?? 3_600),
  };
}

/** The token's `exp`, or `expiresIn` seconds from now when it has none. */
function expiry(claims: Record<string, unknown>, expiresIn: number): number {
  return typeof claims.exp === "number" ? claims.exp * 1_000 : Date.now() + expiresIn * 1_000;
}
