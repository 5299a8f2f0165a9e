// Supabase Edge Function: livekit-webhook. Deploy with verify_jwt off: LiveKit
// signs with its own key, which Supabase's gateway does not know.
import { connect } from "../_shared/database.ts";
import { requireEnv } from "../_shared/env.ts";
import { configuredOrRefused, requireUrlEnv } from "../_shared/startup.ts";
import { createWebhookHandler } from "./handler.ts";

const env = Deno.env.toObject();
const handler = configuredOrRefused("livekit-webhook", env, () => {
  const required = requireEnv(env, ["SUPABASE_DB_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]);
  return createWebhookHandler({
    sql: connect(requireUrlEnv(env, "SUPABASE_DB_URL", ["postgres:", "postgresql:"])),
    apiKey: required.LIVEKIT_API_KEY,
    apiSecret: required.LIVEKIT_API_SECRET,
  });
});

Deno.serve(handler);
