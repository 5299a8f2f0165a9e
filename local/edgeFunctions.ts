// Runs an edge function through its real Deno entry point on 127.0.0.1, with
// a Supabase-like environment: signing keys of a made-up project, its JWKS,
// and the test database as SUPABASE_DB_URL.
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { join } from "node:path";
import { freePort, type Running, start, waitFor } from "./processes";

const root = join(__dirname, "..");
const DENO = join(root, "node_modules", "deno", "deno");

export interface SignOptions {
  /** jose's relative time, e.g. "1h" or "-1m"; null leaves the exp claim out. */
  readonly expiresIn?: string | null;
  /** jose's relative time from now, e.g. "1d" for a day ahead; now when absent. */
  readonly issuedAt?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

export interface ProjectKeys {
  readonly supabaseUrl: string;
  readonly jwksJson: string;
  readonly legacySecret: string;
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
  signLegacy(claims: Record<string, unknown>, options?: SignOptions & { readonly secret?: string }): Promise<string>;
}

/** A user's access token as Supabase Auth issues it, with what the options change. */
function userToken(claims: Record<string, unknown>, issuer: string, options: SignOptions): SignJWT {
  const jwt = new SignJWT({ role: "authenticated", ...claims })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? "authenticated")
    .setIssuedAt(options.issuedAt);
  return options.expiresIn === null ? jwt : jwt.setExpirationTime(options.expiresIn ?? "1h");
}

/** A project's asymmetric signing key (ES256, as Supabase issues) and a legacy HS256 secret. */
export async function makeProjectKeys(supabaseUrl = "http://127.0.0.1:54321"): Promise<ProjectKeys> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "test-key-1", alg: "ES256", use: "sig" };
  const legacySecret = "legacy-jwt-secret-for-tests-0123456789abcdef";
  const issuer = `${supabaseUrl}/auth/v1`;
  return {
    supabaseUrl,
    jwksJson: JSON.stringify({ keys: [jwk] }),
    legacySecret,
    async sign(claims, options = {}) {
      return userToken(claims, issuer, options)
        .setProtectedHeader({ alg: "ES256", kid: "test-key-1", typ: "JWT" })
        .sign(privateKey);
    },
    async signLegacy(claims, options = {}) {
      return userToken(claims, issuer, options)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(new TextEncoder().encode(options.secret ?? legacySecret));
    },
  };
}

/** Variables Deno needs from this machine to fetch its npm imports (cache, proxy, TLS trust). */
const DENO_PASSTHROUGH = [
  "PATH",
  "HOME",
  "DENO_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
  "NPM_CONFIG_REGISTRY",
];

/**
 * The environment a function runs in: nothing of this process but what Deno
 * needs to fetch its imports. Behind a TLS-inspecting proxy Deno must trust
 * the system's store as well as its own roots; on a fresh DENO_DIR it fetches.
 */
export function denoEnvironment(): Record<string, string> {
  const env: Record<string, string> = { HOME: "/root", DENO_TLS_CA_STORE: "system,mozilla" };
  for (const name of DENO_PASSTHROUGH) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

export interface RunningFunction extends Running {
  readonly url: string;
}

export async function startFunction(
  name: "livekit-token" | "livekit-webhook",
  env: Record<string, string>,
): Promise<RunningFunction> {
  const port = await freePort();
  const entry = join(root, "functions", name, "index.ts");
  const proc = start(
    DENO,
    [
      "run",
      "--no-prompt",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-sys",
      "--config",
      join(root, "functions", name, "deno.json"),
      entry,
    ],
    {
      // Deno.serve() listens where Deno's DENO_SERVE_ADDRESS says, so the entry
      // file calls Deno.serve(handler) exactly as on Supabase: no test-only branch.
      env: { ...denoEnvironment(), NO_COLOR: "1", ...env, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}` },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitFor(
      `${name} to listen`,
      async () => {
        await fetch(url, { method: "OPTIONS" });
        return true;
      },
      60_000,
      250,
    ),
    proc.exited().then((code) => {
      throw new Error(`${name} exited with ${code}:\n${proc.output()}`);
    }),
  ]);
  return { ...proc, url };
}

/** The LiveKit server a token function signs for. */
export interface LivekitTarget {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** livekit-token as the app reaches it: the project's keys, the database, and the LiveKit server it signs for. */
export function startTokenFunctionFor(
  keys: ProjectKeys,
  dbUrl: string,
  livekit: LivekitTarget,
): Promise<RunningFunction> {
  return startFunction("livekit-token", {
    SUPABASE_URL: keys.supabaseUrl,
    SUPABASE_JWKS: keys.jwksJson,
    SUPABASE_DB_URL: dbUrl,
    LIVEKIT_URL: livekit.url,
    LIVEKIT_API_KEY: livekit.apiKey,
    LIVEKIT_API_SECRET: livekit.apiSecret,
  });
}
