// npm run supabase-api -- <set-secrets|unset-secrets> --project-ref <ref>
// Sets or removes the edge functions' secrets through Supabase's Management
// API. The secrets arrive on stdin as JSON ([{name, value}]), the access
// token in SUPABASE_ACCESS_TOKEN: neither is ever on a command line or printed.
import { parseArgs } from "node:util";

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
    throw new Error('stdin must be JSON: [{"name": "...", "value": "..."}]');
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new Error("stdin must be a non-empty JSON array of {name, value}");
  return parsed.map((s: unknown, i) => {
    const { name, value } = (s ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(name) || name.startsWith("SUPABASE_")) {
      throw new Error(`secret ${i}: name must be UPPER_SNAKE_CASE and not start with SUPABASE_`);
    }
    if (typeof value !== "string") throw new Error(`secret ${name}: value must be a string`);
    return { name, value };
  });
}

async function call(method: "POST" | "DELETE", path: string, token: string, body: unknown): Promise<void> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) {
    // The API's own message, never our request (it holds the secrets).
    const detail = (await res.text()).slice(0, 300);
    throw new Error(`Supabase Management API ${method} ${path} answered ${res.status}: ${detail}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "project-ref": { type: "string" } },
  });
  const command = positionals[0];
  const ref = values["project-ref"];
  const token = process.env.SUPABASE_ACCESS_TOKEN;
  if (!command || !["set-secrets", "unset-secrets"].includes(command) || !ref) {
    console.error(
      "usage: supabase-api <set-secrets|unset-secrets> --project-ref <ref>  (secrets as JSON on stdin, token in SUPABASE_ACCESS_TOKEN)",
    );
    return 2;
  }
  if (!token) {
    console.error("SUPABASE_ACCESS_TOKEN is not set");
    return 2;
  }
  const secrets = parseSecrets(await readStdin());
  if (command === "set-secrets") {
    await call("POST", `/v1/projects/${encodeURIComponent(ref)}/secrets`, token, secrets);
    console.log(`set ${secrets.length} secrets: ${secrets.map((s) => s.name).join(", ")}`);
  } else {
    await call(
      "DELETE",
      `/v1/projects/${encodeURIComponent(ref)}/secrets`,
      token,
      secrets.map((s) => s.name),
    );
    console.log(`removed ${secrets.length} secrets: ${secrets.map((s) => s.name).join(", ")}`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
