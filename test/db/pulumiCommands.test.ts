// The SupabaseBackend component under Pulumi's mocks: its migration resources
// (run by the real engine in test/engine/, as are the functions' secrets), and
// the command an older stack's state still holds for each migration, run for
// real against PostgreSQL.
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeMigration, migrationId, readMigrations } from "../../db/migrations";
import { applyMigration, readLedger } from "../../db/migrator";
import { identityRecord } from "../../db/plan";
import { startTestDatabase, type TestDatabase } from "../../local/database";
import type { RecordedResource } from "../support/pulumiMocks";
import { type Recording, recordBackend, root, runRecorded } from "../support/pulumiSteps";

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

  it("names each migration's resource by its version and keeps every applied migration's identity in the state", () => {
    const steps = resources.filter((r) => /^supabase-migration-\d{14}$/.test(r.name));
    expect(steps.map((r) => [r.name, r.type])).toEqual(
      migrations.map((m) => [`supabase-migration-${m.version}`, "pulumi-nodejs:dynamic:Resource"]),
    );
    const identities = resources.find((r) => r.name === "supabase-migration-identities")!;
    expect(identities.type).toBe("pulumi-nodejs:dynamic:Resource");
    const { __provider, ...recorded } = identities.inputs;
    expect(typeof __provider).toBe("string");
    expect(recorded).toEqual(identityRecord(migrations));
  });

  it("a migration command left in an older stack's state, deleted while its file is present, reverts nothing", async () => {
    for (const m of migrations) await applyMigration(sql, m);
    const last = migrations.at(-1)!;
    const revertOne = () =>
      runRecorded(
        {
          name: "old",
          type: "command:local:Command",
          inputs: {
            delete: "node_modules/.bin/tsx scripts/migrate.ts revert-one",
            environment: { DATABASE_URL: db.postgresUrl, ROAMCAST_MIGRATION: encodeMigration(last) },
          },
        } as unknown as RecordedResource,
        "delete",
      );
    const refused = await revertOne();
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `refusing to revert ${migrationId(last)}: migrations/ still holds it. Deleting a migration command is now only ` +
        "how `pulumi up` drops the command resources of a stack made before migrations became resources; remove them " +
        "from the state first with `pulumi state delete` (README: Moving a stack to the migration resources)",
    );
    expect(await functionExists(sql, applyEventFn)).toBe(true);
    expect((await readLedger(sql)).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });
});
