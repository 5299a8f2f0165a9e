// Pure planning of the Supabase side: where the project lives, which edge
// functions it gets (and which of them the gateway must not JWT-check),
// what each function's secrets are, and a content hash per function so a
// deploy runs exactly when its code changed.
import { createHash } from "node:crypto";

export interface EdgeFunctionPlan {
  readonly name: "livekit-token" | "livekit-webhook";
  /** The gateway's JWT check: off for the webhook, which LiveKit signs with its own key. */
  readonly verifyJwt: boolean;
}

export const EDGE_FUNCTIONS: readonly EdgeFunctionPlan[] = [
  { name: "livekit-token", verifyJwt: true },
  { name: "livekit-webhook", verifyJwt: false },
];

const SHARED_FUNCTION_DIR = "_shared";

export function supabaseUrl(projectRef: string): string {
  return `https://${projectRef}.supabase.co`;
}

export function webhookUrl(projectRef: string): string {
  return `${supabaseUrl(projectRef)}/functions/v1/livekit-webhook`;
}

/** One file of an edge function's sources, by its path relative to functions/. */
export interface SourceFile {
  readonly path: string;
  readonly content: string | Uint8Array;
}

/** The folders whose files make up a function as deployed: its own and the shared code. */
export function functionSourceDirs(name: string): readonly string[] {
  return [name, SHARED_FUNCTION_DIR];
}

/** sha256 over the function's files (its own folder and the shared code), by relative path. */
export function functionSourceHash(files: readonly SourceFile[]): string {
  const hash = createHash("sha256");
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(file.path).update("\0").update(file.content).update("\0");
  }
  return hash.digest("hex");
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

/** The names this stack owns in the project: its LiveKit settings and the legacy JWT secret. */
export const MANAGED_SECRET = /^(LIVEKIT_[A-Z0-9_]+|LEGACY_JWT_SECRET)$/;

/** Managed secrets present in the project that the stack no longer sets. */
export function staleSecretNames(present: readonly string[], wanted: readonly string[]): string[] {
  return present.filter((name) => MANAGED_SECRET.test(name) && !wanted.includes(name)).sort();
}

/** Tokens live as long as the longest tour plus its overrun, at most. */
export function tokenMaxSeconds(tourHours: number): number {
  return tourHours * 3600 + 30 * 60;
}
