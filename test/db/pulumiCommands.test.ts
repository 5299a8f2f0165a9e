// The commands the SupabaseBackend component hands to Pulumi, recorded under
// Pulumi's mocks and then run for real, as `pulumi up` and a later revert
// would run them: against PostgreSQL for the migrations, and against a local
// stand-in of Supabase's Management API for the secrets.
import { spawn } from "node:child_process";
import { symlinkSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMigrations } from "../../db/migrations";
import { readLedger } from "../../db/migrator";
import { startTestDatabase, type TestDatabase } from "../../local/database";
import { freePort } from "../../local/processes";
import { type RecordedResource, reveal, withMocks } from "../support/pulumiMocks";
import { tempDir } from "../../local/temp";

const root = join(__dirname, "..", "..");
const migrations = readMigrations(join(root, "migrations"));

/** Runs a recorded command the way the command provider does: sh -c, its environment, its stdin. */
async function runRecorded(
  resource: RecordedResource,
  which: "create" | "update" | "delete",
  extraEnv: Record<string, string> = {},
  cwd = root,
) {
  const inputs = reveal(resource.inputs);
  const child = spawn("sh", ["-c", inputs[which]], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...inputs.environment, ...extraEnv },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(inputs.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

/** A checkout without migrations/, as after a revert deleted a migration file. */
function projectWithoutMigrations(): string {
  const dir = tempDir();
  for (const entry of ["node_modules", "scripts", "components", "package.json", "tsconfig.json"])
    symlinkSync(join(root, entry), join(dir, entry));
  return dir;
}

describe("SupabaseBackend's commands, run for real", () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  let resources: RecordedResource[];

  beforeAll(async () => {
    db = await startTestDatabase();
    sql = postgres(db.postgresUrl, { max: 1, onnotice: () => {} });
    const run = await withMocks("dev", {});
    const { SupabaseBackend } = await import("../../components/supabase");
    new SupabaseBackend("supabase", {
      projectRef: "abcdefghijklmnopqrst",
      dbUrl: db.postgresUrl,
      accessToken: "sbp_test_token_0123456789abcdefghij",
      migrations,
      functionHashes: { "livekit-token": "a".repeat(64), "livekit-webhook": "b".repeat(64) },
      livekit: { url: "wss://live.test", apiKey: "APIkey", apiSecret: "s".repeat(48) },
      tokenMaxSeconds: 12_600,
    });
    await run.settle([
      "supabase-function-secrets",
      ...migrations.map((m) => `supabase-migration-${m.version}_${m.name}`),
    ]);
    resources = run.resources;
  }, 90_000);
  afterAll(async () => {
    await sql?.end();
    await db?.stop();
  });

  const migrationResource = (i: number) =>
    resources.find((r) => r.name === `supabase-migration-${migrations[i]!.version}_${migrations[i]!.name}`)!;

  it("create applies each migration in order and records it in the CLI's ledger", async () => {
    for (const [i, m] of migrations.entries()) {
      const result = await runRecorded(migrationResource(i), "create");
      expect(result.stderr).toBe("");
      expect(result.stdout.trim()).toBe(`applied  ${m.version}_${m.name}`);
    }
    expect((await readLedger(sql)).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it("update (a changed connection string, say) finds nothing to do", async () => {
    const result = await runRecorded(migrationResource(0), "update");
    expect(result.stdout.trim()).toBe(`already-applied  ${migrations[0]!.version}_${migrations[0]!.name}`);
  });

  it("delete, as after a revert removed the file, rolls it back with the down SQL it carries", async () => {
    const last = migrations.length - 1;
    // The delete step reads nothing from migrations/: it needs only what the state kept.
    const result = await runRecorded(migrationResource(last), "delete", {}, projectWithoutMigrations());
    expect(result.stdout.trim()).toBe(`reverted  ${migrations[last]!.version}_${migrations[last]!.name}`);
    expect((await readLedger(sql)).map((r) => r.version)).toEqual(migrations.slice(0, last).map((m) => m.version));
    const [fn] =
      await sql`select to_regprocedure('private.apply_livekit_event(text, text, text, text, timestamptz)') as f`;
    expect(fn!.f).toBeNull();
  });

  it("a failing step says why on stderr and exits non-zero, so `pulumi up` stops there", async () => {
    const result = await runRecorded(migrationResource(0), "create", {
      DATABASE_URL: `postgresql://postgres:wrong@127.0.0.1:${db.port}/postgres`,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/password authentication failed/);
  });

  it("sets the functions' secrets through the Management API, token in the header, values only in the body", async () => {
    const requests: { method: string; url: string; auth: string; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        requests.push({ method: req.method!, url: req.url!, auth: String(req.headers.authorization), body });
        res
          .writeHead(req.url?.includes("nosuch") ? 404 : 200, { "content-type": "application/json" })
          .end(req.method === "GET" ? "[]" : "{}");
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    try {
      const secrets = resources.find((r) => r.name === "supabase-function-secrets")!;
      const env = { SUPABASE_API_URL: `http://127.0.0.1:${port}` };
      const set = await runRecorded(secrets, "create", env);
      expect(set.stderr).toBe("");
      expect(set.stdout.trim()).toBe(
        "set 4 secrets: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, LIVEKIT_TOKEN_MAX_SECONDS",
      );
      expect(set.stdout).not.toContain("s".repeat(48));
      const unset = await runRecorded(secrets, "delete", env);
      expect(unset.status).toBe(0);
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        "POST /v1/projects/abcdefghijklmnopqrst/secrets",
        // Lists the project's secrets to delete managed ones no longer set (none here).
        "GET /v1/projects/abcdefghijklmnopqrst/secrets",
        "DELETE /v1/projects/abcdefghijklmnopqrst/secrets",
      ]);
      expect(requests[0]!.auth).toBe("Bearer sbp_test_token_0123456789abcdefghij");
      expect(JSON.parse(requests[0]!.body)).toContainEqual({ name: "LIVEKIT_API_SECRET", value: "s".repeat(48) });
      expect(JSON.parse(requests[2]!.body)).toEqual([
        "LIVEKIT_URL",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "LIVEKIT_TOKEN_MAX_SECONDS",
      ]);
    } finally {
      server.close();
    }
  });
});
