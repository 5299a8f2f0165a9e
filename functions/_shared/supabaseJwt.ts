// Verifies a Supabase user's access token: against the project's JWKS
// (asymmetric signing keys: ES256, RS256, EdDSA), or the legacy HS256 secret
// where the project still uses one. Issuer and audience must be this
// project's; "none" and every other algorithm are refused.
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { HttpError } from "./http.ts";

export interface UserClaims extends JWTPayload {
  sub: string;
  role: string;
}

export interface JwtVerifierOptions {
  /** The project URL, e.g. https://abcd.supabase.co; the issuer is <url>/auth/v1. */
  readonly supabaseUrl: string;
  /** The JWKS as JSON (Supabase sets SUPABASE_JWKS); fetched from the project when absent. */
  readonly jwksJson?: string;
  /** The legacy HS256 JWT secret, for projects that have not moved to signing keys. */
  readonly legacySecret?: string;
}

const ASYMMETRIC = ["ES256", "RS256", "EdDSA"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createJwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<UserClaims> {
  const base = options.supabaseUrl.replace(/\/+$/, "");
  const issuer = `${base}/auth/v1`;
  const keys = options.jwksJson
    ? createLocalJWKSet(JSON.parse(options.jwksJson))
    : createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  const secret = options.legacySecret ? new TextEncoder().encode(options.legacySecret) : undefined;
  const invalid = (why: string) => new HttpError(401, "invalid_token", `the access token is not valid: ${why}`);

  return async (token: string) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalid("it is not a JWT");
    }
    let payload: JWTPayload;
    try {
      if (alg === "HS256" && secret) {
        ({ payload } = await jwtVerify(token, secret, { issuer, audience: "authenticated", algorithms: ["HS256"] }));
      } else if (alg && ASYMMETRIC.includes(alg)) {
        ({ payload } = await jwtVerify(token, keys, { issuer, audience: "authenticated", algorithms: ASYMMETRIC }));
      } else {
        throw invalid(`algorithm ${alg ?? "(none)"} is not accepted`);
      }
    } catch (error) {
      if (error instanceof HttpError) throw error;
      const code = (error as { code?: string }).code ?? "";
      if (code === "ERR_JWT_EXPIRED") throw invalid("it has expired; sign in again");
      if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") throw invalid("it was issued for another project or audience");
      throw invalid("its signature does not verify");
    }
    if (payload.role !== "authenticated" || typeof payload.sub !== "string" || !UUID.test(payload.sub)) {
      throw new HttpError(401, "not_signed_in", "sign in first: this token does not belong to a signed-in user");
    }
    return payload as UserClaims;
  };
}

/** The bearer token of the Authorization header, or a 401. */
export function bearerToken(req: Request): string {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new HttpError(401, "missing_token", "send the user's access token as: Authorization: Bearer <jwt>");
  return match[1]!;
}
