// Supabase Edge Function: livekit-token. Wiring only; the logic is in handler.ts.
import { connect } from "../_shared/database.ts";
import { optionalSeconds, requireEnv } from "../_shared/env.ts";
import { configuredOrRefused, optionalJwksEnv, requireUrlEnv } from "../_shared/startup.ts";
import { createJwtVerifier } from "../_shared/supabaseJwt.ts";
import { createTokenHandler } from "./handler.ts";

const env = Deno.env.toObject();
const handler = configuredOrRefused("livekit-token", env, () => {
  const required = requireEnv(env, [
    "SUPABASE_URL",
    "SUPABASE_DB_URL",
    "LIVEKIT_URL",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
  ]);
  return createTokenHandler({
    verifyJwt: createJwtVerifier({
      supabaseUrl: requireUrlEnv(env, "SUPABASE_URL", ["https:", "http:"]),
      jwksJson: optionalJwksEnv(env, "SUPABASE_JWKS"),
      legacySecret: env.LEGACY_JWT_SECRET,
    }),
    sql: connect(requireUrlEnv(env, "SUPABASE_DB_URL", ["postgres:", "postgresql:"])),
    livekit: { url: required.LIVEKIT_URL, apiKey: required.LIVEKIT_API_KEY, apiSecret: required.LIVEKIT_API_SECRET },
    // Tokens never outlive a tour's longest length (default four hours).
    maxTokenSeconds: optionalSeconds(env, "LIVEKIT_TOKEN_MAX_SECONDS", 4 * 3600),
  });
});

Deno.serve(handler);
