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
/**
 * How far ahead of this clock a token's iat may lie. Supabase Auth and the
 * edge runtime keep NTP time (they differ by far less than a second); a
 * minute covers a badly synced host without letting a token minted for
 * tomorrow work today. A token lives an hour by default, so a minute adds little.
 */
export const CLOCK_SKEW_SECONDS = 60;
/** exp is required: a token without one would never expire. */
const REQUIRED_CLAIMS = ["exp"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createJwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<UserClaims> {
  const base = options.supabaseUrl.replace(/\/+$/, "");
  const issuer = `${base}/auth/v1`;
  const keys = options.jwksJson
    ? createLocalJWKSet(JSON.parse(options.jwksJson))
    : createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  // Imported once: given the secret's bytes, jose would import them as a key again for every token.
  const secret = options.legacySecret ? importHmacVerifyKey(options.legacySecret) : undefined;
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
      const claims = { issuer, audience: "authenticated", requiredClaims: REQUIRED_CLAIMS };
      if (alg === "HS256" && secret) {
        ({ payload } = await jwtVerify(token, await secret, { ...claims, algorithms: ["HS256"] }));
      } else if (alg && ASYMMETRIC.includes(alg)) {
        ({ payload } = await jwtVerify(token, keys, { ...claims, algorithms: ASYMMETRIC }));
      } else {
        throw invalid(`algorithm ${alg ?? "(none)"} is not accepted`);
      }
    } catch (error) {
      throw error instanceof HttpError ? error : invalid(whyRefused(error));
    }
    // jose checks iat only against a maximum age; a token from the future is refused here.
    if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
      throw invalid(`it was issued in the future (more than ${CLOCK_SKEW_SECONDS} s ahead of this server's clock)`);
    }
    if (payload.role !== "authenticated" || typeof payload.sub !== "string" || !UUID.test(payload.sub)) {
      throw new HttpError(401, "not_signed_in", "sign in first: this token does not belong to a signed-in user");
    }
    return payload as UserClaims;
  };
}

function importHmacVerifyKey(secret: string) {
  const bytes = new TextEncoder().encode(secret);
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

/** Why jose refused a token, in words for the caller; never the token itself. */
function whyRefused(error: unknown): string {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  if (code === "ERR_JWT_EXPIRED") return "it has expired; sign in again";
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && reason === "missing") return `it has no "${claim}" claim`;
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && (claim === "iss" || claim === "aud"))
    return "it was issued for another project or audience";
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") return `its "${claim}" claim does not hold`;
  return "its signature does not verify";
}

/** The bearer token of the Authorization header, or a 401. */
export function bearerToken(req: Request): string {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new HttpError(401, "missing_token", "send the user's access token as: Authorization: Bearer <jwt>");
  return match[1]!;
}
