// Pure planning of the Supabase side: where the project lives, which edge
// functions it gets (and which of them the gateway must not JWT-check),
// what each function's secrets are, and a content hash per function so a
// deploy runs exactly when its code changed.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface EdgeFunctionPlan {
  readonly name: "livekit-token" | "livekit-webhook";
  /** The gateway's JWT check: off for the webhook, which LiveKit signs with its own key. */
  readonly verifyJwt: boolean;
}

export const EDGE_FUNCTIONS: readonly EdgeFunctionPlan[] = [
  { name: "livekit-token", verifyJwt: true },
  { name: "livekit-webhook", verifyJwt: false },
];

export const SHARED_FUNCTION_DIR = "_shared";

export function supabaseUrl(projectRef: string): string {
  return `https://${projectRef}.supabase.co`;
}

export function webhookUrl(projectRef: string): string {
  return `${supabaseUrl(projectRef)}/functions/v1/livekit-webhook`;
}

/** sha256 over the function's own folder and the shared code it imports, by relative path. */
export function functionSourceHash(functionsDir: string, name: string): string {
  const hash = createHash("sha256");
  const files = [...listFiles(join(functionsDir, name)), ...listFiles(join(functionsDir, SHARED_FUNCTION_DIR))].sort();
  for (const file of files) {
    hash.update(relative(functionsDir, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

export interface FunctionSecretsInput {
  readonly livekitUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly tokenMaxSeconds: number;
  readonly legacyJwtSecret?: string;
}

/** The custom secrets both functions read (names may not start with SUPABASE_). */
export function functionSecrets(input: FunctionSecretsInput): { name: string; value: string }[] {
  const secrets = [
    { name: "LIVEKIT_URL", value: input.livekitUrl },
    { name: "LIVEKIT_API_KEY", value: input.apiKey },
    { name: "LIVEKIT_API_SECRET", value: input.apiSecret },
    { name: "LIVEKIT_TOKEN_MAX_SECONDS", value: String(input.tokenMaxSeconds) },
  ];
  if (input.legacyJwtSecret) secrets.push({ name: "LEGACY_JWT_SECRET", value: input.legacyJwtSecret });
  return secrets;
}

/** Tokens live as long as the longest tour plus its overrun, at most. */
export function tokenMaxSeconds(tourHours: number): number {
  return tourHours * 3600 + 30 * 60;
}
