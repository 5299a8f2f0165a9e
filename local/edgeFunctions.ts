// Runs an edge function through its real Deno entry point on 127.0.0.1, with
// a Supabase-like environment: signing keys of a made-up project, its JWKS,
// and the test database as SUPABASE_DB_URL.
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { join } from "node:path";
import { freePort, type Running, start, waitFor } from "./processes";

const root = join(__dirname, "..");
export const DENO = join(root, "node_modules", "deno", "deno");

export interface ProjectKeys {
  readonly supabaseUrl: string;
  readonly jwksJson: string;
  readonly legacySecret: string;
  sign(
    claims: Record<string, unknown>,
    options?: { expiresIn?: string; issuer?: string; audience?: string },
  ): Promise<string>;
  signLegacy(claims: Record<string, unknown>, secret?: string): Promise<string>;
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
      return new SignJWT({ role: "authenticated", ...claims })
        .setProtectedHeader({ alg: "ES256", kid: "test-key-1", typ: "JWT" })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? "authenticated")
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "1h")
        .sign(privateKey);
    },
    async signLegacy(claims, secret = legacySecret) {
      return new SignJWT({ role: "authenticated", ...claims })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(issuer)
        .setAudience("authenticated")
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode(secret));
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
      env: { ...denoEnvironment(), NO_COLOR: "1", ...env, PORT: String(port) },
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
