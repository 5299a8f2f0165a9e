// A function whose environment is missing or malformed must say which
// variable and how to fix it, in one line, not in a Deno stack trace. Under
// Deno it then refuses to start (exit status 1). Supabase's edge runtime makes
// Deno.exit a no-op in user functions (supabase/edge-runtime,
// ext/runtime/js/bootstrap.js: "exit": MOCK_FN), so there the function keeps
// running and answers every request 503 with a JSON body naming the variable:
// a server-side fault the caller can retry once it is fixed, never a stack trace.
import { EnvError } from "./env.ts";
import { json, preflight } from "./http.ts";

export type Handler = (req: Request) => Response | Promise<Response>;
type Env = Record<string, string | undefined>;

/** Variables whose values are secrets (or hold one, as a database URL's password): never echoed. */
const SECRET_NAME = /SECRET|PASSWORD|_KEY$|DB_URL|JWKS/;

/** A URL of one of `protocols` ("postgres:", "https:", ...); the value is echoed only for a variable that is not secret. */
export function requireUrlEnv(env: Env, name: string, protocols: readonly string[]): string {
  const value = env[name];
  if (!value)
    throw new EnvError(`missing environment variable: ${name} (set it with: supabase secrets set ${name}=...)`);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    /* reported below */
  }
  if (!url || !protocols.includes(url.protocol)) {
    const shown = SECRET_NAME.test(name) ? "its value" : `"${value}"`;
    throw new EnvError(
      `${name} must be a ${protocols.map((p) => `${p}//`).join(" or ")} URL, but ${shown} is not; set it with: supabase secrets set ${name}=...`,
    );
  }
  return value;
}

/** SUPABASE_JWKS-like: absent, or a JSON Web Key Set ({"keys": [...]}). */
export function optionalJwksEnv(env: Env, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  let keys: unknown;
  try {
    keys = (JSON.parse(value) as { keys?: unknown } | null)?.keys;
  } catch {
    /* reported below */
  }
  if (!Array.isArray(keys) || keys.length === 0)
    throw new EnvError(
      `${name} must be a JSON Web Key Set ({"keys": [...]}, as Supabase sets it); unset it to fetch the project's keys instead`,
    );
  return value;
}

/** The configuration failure as one line, with any secret value the message might echo masked. */
function oneLine(error: unknown, env: Env): string {
  let message = error instanceof Error ? error.message : String(error);
  for (const [name, value] of Object.entries(env))
    if (value && value.length >= 4 && SECRET_NAME.test(name)) message = message.split(value).join(`<${name}>`);
  return message.replace(/\s*\n\s*/g, " ");
}

/** The handler for a function that could not be configured: preflight as usual (so a browser can read the body), else 503. */
export function misconfiguredHandler(functionName: string, problem: string): Handler {
  return (req) => {
    if (req.method === "OPTIONS") return preflight();
    console.error(`${functionName}: answered 503, not configured: ${problem}`);
    return json(503, {
      error: { code: "function_misconfigured", message: `${functionName} is not configured: ${problem}` },
    });
  };
}

/**
 * The function's handler from `configure` (which reads and checks the environment), or, when that throws, one
 * line on stderr and exit status 1; where exit returns (Supabase's edge runtime), a handler answering 503.
 */
export function configuredOrRefused(functionName: string, env: Env, configure: () => Handler): Handler {
  try {
    return configure();
  } catch (error) {
    const problem = oneLine(error, env);
    console.error(`${functionName} refuses to start: ${problem}`);
    try {
      Deno.exit(1);
    } catch {
      /* an edge runtime's stand-in for exit may throw instead */
    }
    return misconfiguredHandler(functionName, problem);
  }
}
