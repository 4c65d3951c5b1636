import { HttpProblem } from "@tickflow/runtime";
import { defineEndpoint } from "../endpoint";

/** POST /api/auth/token: a bearer token for a local user (the local adapter only; on AWS Cognito issues them). */
export const token = defineEndpoint("token", async ({ body, deps }) => {
  const local = deps.auth.local;
  if (!local)
    throw new HttpProblem(
      404,
      "not-found",
      "this gateway issues no tokens: set AUTH_SECRET and AUTH_USERS (on AWS, log in with Cognito)",
    );
  const issued = await local.issue(body.username, body.password);
  // which of the two was wrong stays unsaid
  if (!issued) throw new HttpProblem(401, "invalid-credentials", "unknown username or wrong password");
  return {
    access_token: issued.token,
    token_type: "Bearer" as const,
    expires_in: local.ttlSeconds,
    username: body.username,
    role: issued.role,
  };
});

export const handler = token.lambda();
