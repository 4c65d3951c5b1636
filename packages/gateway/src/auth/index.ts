import { randomBytes, scrypt as scryptCallback, scryptSync, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { ConfigError, RoleSchema, type Actor, type Role } from "@tickflow/core";
import { HttpProblem } from "@tickflow/runtime";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import type { Jwks } from "aws-jwt-verify/jwk";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { GatewayConfig } from "../config";

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** Who a valid token says is calling: a command's actor. */
export type Principal = Actor;

/** Checks a bearer token; throws 401 unauthenticated when it is not one this gateway accepts. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export const LOCAL_ISSUER = "tickflow-local";
export const LOCAL_AUDIENCE = "tickflow-api";
/** The Cognito group whose members may send commands; everyone else reads. */
export const TRADER_GROUP = "trader";

export type AuthUser = NonNullable<GatewayConfig["AUTH_USERS"]>[number];

export const unauthenticated = (detail: string) =>
  new HttpProblem(401, "unauthenticated", detail, {}, { headers: { "www-authenticate": 'Bearer realm="tickflow"' } });

/** A user of AUTH_USERS as the gateway keeps it: the password only as its scrypt hash. */
interface StoredUser {
  username: string;
  role: Role;
  salt: Buffer;
  hash: Buffer;
}
const KEY_LENGTH = 32;

/**
 * Local tokens: HS256 JWTs this gateway signs for users from AUTH_USERS (hashed with scrypt when
 * the gateway starts; the plain passwords are not kept) and verifies itself.
 */
export class LocalAuth implements TokenVerifier {
  private readonly users = new Map<string, StoredUser>();
  private readonly key: Uint8Array;
  /** Hashed against when the username is unknown: a wrong name takes as long as a wrong password. */
  private readonly decoy = { salt: randomBytes(16), hash: randomBytes(KEY_LENGTH) };

  constructor(
    secret: string,
    users: readonly AuthUser[],
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
    for (const u of users) {
      const salt = randomBytes(16);
      this.users.set(u.username, {
        username: u.username,
        role: u.role,
        salt,
        hash: scryptSync(u.password, salt, KEY_LENGTH),
      });
    }
  }

  /** A token for these credentials, or null when they are wrong. */
  async issue(username: string, password: string): Promise<{ token: string; role: Role } | null> {
    const user = this.users.get(username);
    const { salt, hash } = user ?? this.decoy;
    const given = await scrypt(password, salt, KEY_LENGTH);
    if (!timingSafeEqual(given, hash) || !user) return null;
    const token = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(user.username)
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
    return { token, role: user.role };
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ["HS256"],
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        requiredClaims: ["sub", "exp"],
      });
      const role = RoleSchema.safeParse(payload.role);
      // a token for a user no longer configured carries no rights
      const user = this.users.get(payload.sub!);
      if (!role.success || !user) throw unauthenticated("the token names no configured user or role");
      return { subject: user.username, username: user.username, role: user.role };
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated("the token has expired: log in again");
      throw unauthenticated("the token is not one this gateway issued");
    }
  }
}

/**
 * Cognito access tokens (AWS): verified against the pool's keys (fetched from Cognito at the first
 * token, unless `jwks` gives them); members of the trader group trade.
 */
export function cognitoVerifier(userPoolId: string, clientId: string, jwks?: Jwks): TokenVerifier {
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: "access" });
  if (jwks) verifier.cacheJwks(jwks);
  return {
    async verify(token) {
      let payload;
      try {
        payload = await verifier.verify(token);
      } catch (error) {
        const expired = error instanceof Error && error.name === "JwtExpiredError";
        throw unauthenticated(
          expired ? "the token has expired: log in again" : "the token is not a valid access token of this user pool",
        );
      }
      const groups = payload["cognito:groups"] ?? [];
      const username = typeof payload.username === "string" ? payload.username : payload.sub;
      return { subject: payload.sub, username, role: groups.includes(TRADER_GROUP) ? "trader" : "viewer" };
    },
  };
}

/** How this gateway authenticates: who verifies tokens, who issues them (locally), and whether reads need one. */
export interface Auth {
  verifier: TokenVerifier | null;
  local: LocalAuth | null;
  readsNeedToken: boolean;
}

export const NO_AUTH_MESSAGE =
  "this gateway verifies no tokens: set AUTH_SECRET and AUTH_USERS (local) or COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID (AWS)";

export function authFromConfig(config: GatewayConfig): Auth {
  if (!config.COGNITO_USER_POOL_ID !== !config.COGNITO_CLIENT_ID)
    throw new ConfigError("set both COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID, or neither");
  if (!config.AUTH_SECRET !== !config.AUTH_USERS)
    throw new ConfigError("set both AUTH_SECRET and AUTH_USERS (local users), or neither");
  if (config.COGNITO_USER_POOL_ID && config.COGNITO_CLIENT_ID)
    return {
      verifier: cognitoVerifier(config.COGNITO_USER_POOL_ID, config.COGNITO_CLIENT_ID),
      local: null,
      readsNeedToken: true,
    };
  if (config.AUTH_SECRET && config.AUTH_USERS) {
    const local = new LocalAuth(config.AUTH_SECRET, config.AUTH_USERS, config.AUTH_TOKEN_TTL_SECONDS);
    return { verifier: local, local, readsNeedToken: config.AUTH_READS === "token" };
  }
  return { verifier: null, local: null, readsNeedToken: config.AUTH_READS === "token" };
}

/** The bearer token of an Authorization header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +([A-Za-z0-9._~+/=-]{1,8192})\s*$/i.exec(header);
  if (!match) throw unauthenticated("send Authorization: Bearer <token>");
  return match[1]!;
}

/**
 * The caller of a route, checked against its access level: `open` needs nothing; `read` a valid
 * token where reads need one; `trade` a valid token with the trader role (403 for a viewer).
 */
export async function authorize(
  auth: Auth,
  access: "open" | "read" | "trade",
  authorization: string | undefined,
): Promise<Principal | null> {
  if (access === "open") return null;
  const token = bearerToken(authorization);
  if (access === "read" && !auth.readsNeedToken && token === null) return null;
  if (token === null)
    throw unauthenticated(access === "trade" ? "sending a command needs a trader's token" : "this API needs a token");
  if (!auth.verifier) throw unauthenticated(NO_AUTH_MESSAGE);
  const principal = await auth.verifier.verify(token);
  if (access === "trade" && principal.role !== "trader")
    throw new HttpProblem(
      403,
      "forbidden",
      `${principal.username} is a ${principal.role}: only a trader sends commands`,
    );
  return principal;
}
