// The commands the SupabaseBackend component hands to Pulumi, recorded under
// Pulumi's mocks and then run for real, as `pulumi up` and a later revert
// would run them: against PostgreSQL for the migrations, and against a local
// stand-in of Supabase's Management API for the secrets.
import { createServer, type IncomingMessage } from "node:http";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMigrations } from "../../db/migrations";
import { readLedger } from "../../db/migrator";
import { identityRecord } from "../../db/plan";
import { startTestDatabase, type TestDatabase } from "../../local/database";
import { freePort } from "../../local/processes";
import type { RecordedResource } from "../support/pulumiMocks";
import { checkout, migrationCommand, type Recording, recordBackend, root, runRecorded } from "../support/pulumiSteps";

const migrations = readMigrations(join(root, "migrations"));
const applyEventFn = "private.apply_livekit_event(text, text, text, text, timestamptz)";

async function functionExists(sql: postgres.Sql, signature: string): Promise<boolean> {
  const [row] = await sql`select to_regprocedure(${signature}) is not null as present`;
  return row!.present as boolean;
}

describe("SupabaseBackend's commands, run for real", () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  let recording: Recording;
  let resources: readonly RecordedResource[];

  beforeAll(async () => {
    db = await startTestDatabase();
    sql = postgres(db.postgresUrl, { max: 1, onnotice: () => {} });
    recording = await recordBackend(db.postgresUrl, migrations);
    resources = recording.resources;
  }, 90_000);
  afterAll(async () => {
    await sql?.end();
    await db?.stop();
  });

  const migrationResource = (i: number) => migrationCommand(recording, migrations[i]!.version);

  it("names each migration's resource by its version and keeps every applied migration's identity in the state", () => {
    expect(migrations.map((m) => migrationCommand(recording, m.version).name)).toEqual(
      migrations.map((m) => `supabase-migration-${m.version}`),
    );
    const identities = resources.find((r) => r.name === "supabase-migration-identities")!;
    expect(identities.type).toBe("pulumi-nodejs:dynamic:Resource");
    const { __provider, ...recorded } = identities.inputs;
    expect(typeof __provider).toBe("string");
    expect(recorded).toEqual(identityRecord(migrations));
  });

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
    // The checkout no longer has the file: the down SQL comes from what the state kept.
    const result = await runRecorded(migrationResource(last), "delete", {}, checkout(migrations.slice(0, last)));
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(`reverted  ${migrations[last]!.version}_${migrations[last]!.name}`);
    expect((await readLedger(sql)).map((r) => r.version)).toEqual(migrations.slice(0, last).map((m) => m.version));
    expect(await functionExists(sql, applyEventFn)).toBe(false);
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
