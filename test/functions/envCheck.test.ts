// Both edge functions, run by the real Deno, with one environment variable
// missing or malformed: each refuses to start with one line naming the
// variable and the fix (exit status 1, no stack trace). Supabase's edge
// runtime makes Deno.exit a no-op (a stand-in here does the same): there the
// function answers each request 503 with a JSON body naming the variable.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { denoEnvironment } from "../../local/edgeFunctions";
import { freePort, type Running, start, waitFor } from "../../local/processes";
import { writeTemp } from "../../local/temp";

type FunctionName = "livekit-token" | "livekit-webhook";
const root = join(__dirname, "..", "..");
const DENO = join(root, "node_modules", "deno", "deno");
const DB_PASSWORD = "db-password-never-shown";

const VALID: Record<FunctionName, Record<string, string>> = {
  "livekit-token": {
    SUPABASE_URL: "http://127.0.0.1:54321",
    SUPABASE_DB_URL: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:1/postgres`,
    LIVEKIT_URL: "wss://live.test.roamcast",
    LIVEKIT_API_KEY: "APIenvCheck",
    LIVEKIT_API_SECRET: "env-check-secret-0123456789abcdefghijklmnop",
  },
  "livekit-webhook": {
    SUPABASE_DB_URL: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:1/postgres`,
    LIVEKIT_API_KEY: "APIenvCheck",
    LIVEKIT_API_SECRET: "env-check-secret-0123456789abcdefghijklmnop",
  },
};

/** Runs `entry` (a function's index.ts, or a file importing it) as startFunction does; the env replaces VALID's keys. */
function runDeno(name: FunctionName, entry: string, env: Record<string, string | undefined>, port: number) {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...VALID[name], ...env })) if (value !== undefined) merged[key] = value;
  const config = join(root, "functions", name, "deno.json");
  const proc = start(
    DENO,
    ["run", "--no-prompt", "--allow-net", "--allow-env", "--allow-read", "--config", config, entry],
    {
      env: { ...denoEnvironment(), NO_COLOR: "1", ...merged, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}` },
    },
  );
  const closed = new Promise<void>((resolve) => proc.child.once("close", () => resolve()));
  return { proc, closed };
}

/** The function's own output lines (Deno's "Listening on ..." left out). */
const lines = (proc: Running) =>
  proc
    .output()
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("Listening on "));

const CASES: [FunctionName, string, string | undefined, RegExp][] = [
  ["livekit-token", "LIVEKIT_API_SECRET", undefined, /supabase secrets set LIVEKIT_API_SECRET=/],
  ["livekit-token", "SUPABASE_URL", undefined, /supabase secrets set SUPABASE_URL=/],
  ["livekit-token", "SUPABASE_URL", "127.0.0.1:54321", /SUPABASE_URL must be a https:\/\/ or http:\/\/ URL/],
  ["livekit-token", "SUPABASE_DB_URL", `mysql://root:${DB_PASSWORD}@db/x`, /SUPABASE_DB_URL must be a postgres:\/\//],
  ["livekit-token", "SUPABASE_JWKS", "{keys:", /SUPABASE_JWKS must be a JSON Web Key Set/],
  ["livekit-token", "LIVEKIT_URL", "https://live.test.roamcast", /LIVEKIT_URL holds "https:\/\/live.test.roamcast"/],
  ["livekit-token", "LIVEKIT_TOKEN_MAX_SECONDS", "4h", /LIVEKIT_TOKEN_MAX_SECONDS must be a whole number/],
  ["livekit-webhook", "SUPABASE_DB_URL", undefined, /supabase secrets set SUPABASE_DB_URL=/],
  ["livekit-webhook", "SUPABASE_DB_URL", `postgres//root:${DB_PASSWORD}@db`, /SUPABASE_DB_URL must be a postgres:\/\//],
  ["livekit-webhook", "LIVEKIT_API_KEY", undefined, /supabase secrets set LIVEKIT_API_KEY=/],
];

describe("a function whose environment is missing or malformed refuses to start", () => {
  it.each(CASES)("%s with %s=%s: exit status 1 and one line naming it", async (name, variable, value, says) => {
    const { proc, closed } = runDeno(name, join(root, "functions", name, "index.ts"), { [variable]: value }, 1);
    try {
      const code = await Promise.race([proc.exited(), new Promise((r) => setTimeout(() => r("running"), 30_000))]);
      expect(code).toBe(1);
      await closed;
      expect(lines(proc)).toEqual([expect.stringMatching(new RegExp(`^${name} refuses to start: .*${variable}`))]);
      expect(proc.output()).toMatch(says);
      expect(proc.output()).not.toMatch(/Uncaught|\n\s+at /);
      expect(proc.output()).not.toContain(DB_PASSWORD);
    } finally {
      await proc.stop();
    }
  });
});

describe("where Deno.exit does nothing (Supabase's edge runtime), a misconfigured function answers 503", () => {
  it.each<FunctionName>(["livekit-token", "livekit-webhook"])(
    "%s: 503 with a JSON body naming the variable, one log line per request, preflight still answered",
    async (name) => {
      // As supabase/edge-runtime's bootstrap.js does for user functions: exit is a function that returns.
      const entry = writeTemp(
        "edge-runtime-entry.ts",
        `Deno.exit = (() => {}) as typeof Deno.exit;\nawait import(${JSON.stringify(`file://${join(root, "functions", name, "index.ts")}`)});\n`,
      );
      const port = await freePort();
      const { proc } = runDeno(name, entry, { LIVEKIT_API_SECRET: undefined }, port);
      try {
        const url = `http://127.0.0.1:${port}`;
        const preflight = await waitFor(`${name} to listen`, () => fetch(url, { method: "OPTIONS" }), 30_000, 250);
        expect(preflight.status).toBe(204);
        const res = await fetch(url, { method: "POST", body: "{}" });
        expect(res.status).toBe(503);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expect(await res.json()).toEqual({
          error: {
            code: "function_misconfigured",
            message: expect.stringMatching(
              /^livekit-\w+ is not configured: missing environment variable: LIVEKIT_API_SECRET/,
            ),
          },
        });
        await waitFor("the request's log line", async () => (lines(proc).length >= 2 ? true : undefined), 5_000, 50);
        expect(lines(proc)).toEqual([
          expect.stringMatching(
            new RegExp(`^${name} refuses to start: missing environment variable: LIVEKIT_API_SECRET`),
          ),
          expect.stringMatching(new RegExp(`^${name}: answered 503, not configured: .*LIVEKIT_API_SECRET`)),
        ]);
        expect(proc.output()).not.toMatch(/Uncaught|\n\s+at /);
      } finally {
        await proc.stop();
      }
    },
  );
});
