// tsx scripts/supabase-api.ts <set-secrets|unset-secrets --yes> --project-ref <ref>
// (`pulumi up` runs the same calls through components/functionSecrets.ts; an
// older stack's state holds a command running this script, whose delete ran
// unset-secrets: that now needs --yes, so dropping it removes nothing.)
// Sets or removes the edge functions' secrets through Supabase's Management
// API. The secrets arrive on stdin as JSON ([{name, value}]), the access
// token in SUPABASE_ACCESS_TOKEN: neither is ever on a command line or printed.
// The API only upserts on POST, so set-secrets then deletes the secrets the
// stack manages (MANAGED_SECRET) that it no longer sets — the legacy JWT
// secret once it is unset — and never touches any other name.
import { staleSecretNames } from "../plans/supabase";
import { type Cli, InputError, runCli } from "./cli";

const API = process.env.SUPABASE_API_URL ?? "https://api.supabase.com";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function parseSecrets(text: string): { name: string; value: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError('stdin must be JSON: [{"name": "...", "value": "..."}]');
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new InputError("stdin must be a non-empty JSON array of {name, value}");
  return parsed.map((s: unknown, i) => {
    const { name, value } = (s ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(name) || name.startsWith("SUPABASE_")) {
      throw new InputError(`secret ${i}: name must be UPPER_SNAKE_CASE and not start with SUPABASE_`);
    }
    if (typeof value !== "string") throw new InputError(`secret ${name}: value must be a string`);
    return { name, value };
  });
}

// Shared with the FunctionSecrets resource (components/functionSecrets.ts).
export { MANAGED_SECRET, staleSecretNames } from "../plans/supabase";

async function call(method: "GET" | "POST" | "DELETE", path: string, token: string, body?: unknown): Promise<string> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) {
    // The API's own message, never our request (it holds the secrets).
    throw new Error(`Supabase Management API ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return text;
}

async function listSecretNames(path: string, token: string): Promise<string[]> {
  const text = await call("GET", path, token);
  let listed: unknown;
  try {
    listed = JSON.parse(text);
  } catch {
    listed = undefined;
  }
  if (!Array.isArray(listed) || !listed.every((s) => typeof s?.name === "string")) {
    throw new Error(`Supabase Management API GET ${path} answered something other than [{name, value}]`);
  }
  return listed.map((s: { name: string }) => s.name);
}

async function setSecrets(path: string, token: string, secrets: { name: string; value: string }[]): Promise<void> {
  await call("POST", path, token, secrets);
  console.log(`set ${secrets.length} secrets: ${secrets.map((s) => s.name).join(", ")}`);
  const stale = staleSecretNames(
    await listSecretNames(path, token),
    secrets.map((s) => s.name),
  );
  if (stale.length === 0) return;
  await call("DELETE", path, token, stale);
  console.log(`removed ${stale.length} secrets the stack no longer sets: ${stale.join(", ")}`);
}

const SPEC = {
  usage: "usage: tsx scripts/supabase-api.ts <set-secrets|unset-secrets --yes> --project-ref <ref>",
  help: `
Sets or removes the edge functions' secrets through Supabase's Management API;
\`pulumi up\` runs it. Neither the secrets nor the token is ever on a command line.

  set-secrets          set the secrets read from stdin: JSON [{"name": "...", "value": "..."}]
  unset-secrets --yes  remove the secrets named on stdin (same JSON; the values are ignored)
  --project-ref <ref>  the Supabase project (20 letters)
  -h, --help           this text

Environment: SUPABASE_ACCESS_TOKEN (required), SUPABASE_API_URL (default https://api.supabase.com).
`,
  options: { "project-ref": { type: "string" }, yes: { type: "boolean" } },
  positionals: 1,
} as const;

async function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const command = cli.positionals[0];
  if (!command) cli.fail("a command is required");
  if (command !== "set-secrets" && command !== "unset-secrets") cli.fail(`unknown command ${JSON.stringify(command)}`);
  const ref = cli.required("project-ref");
  const token = process.env.SUPABASE_ACCESS_TOKEN;
  if (!token) throw new InputError("SUPABASE_ACCESS_TOKEN is not set: export a Supabase personal access token (sbp_…)");
  const secrets = parseSecrets(await readStdin());
  const path = `/v1/projects/${encodeURIComponent(ref)}/secrets`;
  if (command === "unset-secrets" && cli.values.yes !== true)
    throw new InputError(
      "unset-secrets removes the functions' secrets from the project: pass --yes. If `pulumi up` ran this, it is " +
        "dropping the function-secrets command of a stack made before the secrets became a resource: remove that " +
        "command from the state first with `pulumi state delete` (README: Moving a stack to the migration resources)",
    );
  if (command === "set-secrets") {
    await setSecrets(path, token, secrets);
  } else {
    await call(
      "DELETE",
      path,
      token,
      secrets.map((s) => s.name),
    );
    console.log(`removed ${secrets.length} secrets: ${secrets.map((s) => s.name).join(", ")}`);
  }
  return 0;
}

if (require.main === module) runCli(SPEC, main);
