// LiveKit access tokens, signed with the API secret's HMAC key imported once.
// The SDK's AccessToken.toJwt hands jose the secret's bytes, and jose imports
// them as a key again for every token; with a tour's listeners asking at once
// that is work per token for nothing. This writes the bytes toJwt writes: the
// SDK's own claims (claimsToJwtPayload), then iss, exp, nbf and sub in the
// order toJwt sets them, under the header {"alg":"HS256"} — a test holds the
// two byte for byte. The payload is serialised by JSON.stringify as toJwt's
// jose does, so the room configuration goes as LiveKit's protobuf JSON.
import { CompactSign } from "jose";
import { type ClaimGrants, claimsToJwtPayload } from "livekit-server-sdk";

export interface LivekitTokenRequest {
  /** The participant's identity: the token's sub. */
  readonly identity: string;
  readonly ttlSeconds: number;
  readonly grants: ClaimGrants;
}

const encoder = new TextEncoder();

export function createLivekitMinter(
  apiKey: string,
  apiSecret: string,
): (request: LivekitTokenRequest) => Promise<string> {
  if (!apiKey || !apiSecret) throw new Error("the LiveKit API key and secret must both be set");
  const key = crypto.subtle.importKey("raw", encoder.encode(apiSecret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return async ({ identity, ttlSeconds, grants }) => {
    if (!identity) throw new Error("a LiveKit token that joins a room needs an identity");
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...claimsToJwtPayload(grants), iss: apiKey, exp: now + ttlSeconds, nbf: now, sub: identity };
    return new CompactSign(encoder.encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "HS256" })
      .sign(await key);
  };
}
