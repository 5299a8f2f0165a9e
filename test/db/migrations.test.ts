// migrations/ applied by the real Supabase CLI and by the stack's own path,
// on PostgreSQL 17 made to look like Supabase.
import { spawnSync } from "node:child_process";
import { mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Migration, readMigrations } from "../../db/migrations";
import { applyMigration, readLedger, revertMigration } from "../../db/migrator";
import { startTestDatabase, type TestDatabase } from "../../local/database";
import { createTour } from "../../local/roles";
import { tempDir } from "../../local/temp";

const root = join(__dirname, "..", "..");
const migrations = readMigrations(join(root, "migrations"));

function supabaseCli(args: string[], workdir = root) {
  const result = spawnSync(join(root, "node_modules", ".bin", "supabase"), [...args, "--workdir", workdir], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A fingerprint of everything the migrations create: tables, columns, constraints, indexes, policies, functions, grants. */
async function schemaFingerprint(sql: postgres.Sql): Promise<string> {
  const rows = await sql`
    select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(column_default, '') as item
      from information_schema.columns where table_schema in ('public', 'private')
    union all select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace in ('public'::regnamespace, 'private'::regnamespace)
    union all select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname in ('public', 'private')
    union all select 'policy ' || tablename || ' ' || policyname || ' ' || coalesce(qual, '') from pg_policies where schemaname = 'public'
    union all select 'function ' || p.oid::regprocedure || ' ' || md5(p.prosrc) || ' ' || coalesce(array_to_string(p.proacl, ','), '') from pg_proc p where pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    union all select 'grant ' || table_schema || '.' || table_name || ' ' || grantee || ' ' || privilege_type from information_schema.role_table_grants where table_schema in ('public', 'private')
    union all select 'rls ' || relname || ' ' || relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'
    order by 1`;
  return rows.map((r) => r.item).join("\n");
}

const ledgerOf = async (sql: postgres.Sql) => (await readLedger(sql)).map((r) => ({ ...r }));
const revertAll = async (sql: postgres.Sql) => {
  for (const m of [...migrations].reverse()) await revertMigration(sql, m);
};
const applyAll = async (sql: postgres.Sql) => {
  const out: string[] = [];
  for (const m of migrations) out.push(await applyMigration(sql, m));
  return out;
};

describe("migrations", () => {
  let db: TestDatabase;
  let sql: postgres.Sql;

  beforeAll(async () => {
    db = await startTestDatabase();
    sql = postgres(db.postgresUrl, { max: 4, onnotice: () => {} });
  }, 60_000);
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await db?.stop();
  });

  it("are named as the Supabase CLI wants, each with a down file", () => {
    expect(migrations.map((m) => `${m.version}_${m.name}`)).toEqual([
      "20261125100000_tours",
      "20261125100100_livekit_rooms",
      "20261125100200_join_tour_room",
      "20261125100300_livekit_webhook_events",
      "20261130100000_join_tour_room_open_room",
    ]);
    for (const m of migrations) expect(m.down.length, m.name).toBeGreaterThan(0);
  });

  let cliLedger: Awaited<ReturnType<typeof ledgerOf>>;
  let cliSchema: string;

  it("supabase db push applies them all as the non-superuser postgres role", () => {
    const push = supabaseCli(["db", "push", "--db-url", `${db.postgresUrl}?sslmode=disable`, "--yes"]);
    expect(push.output).toContain("Finished supabase db push.");
    expect(push.status).toBe(0);
  });

  it("the stack's path, after the CLI, finds nothing to do and leaves the CLI's ledger as it was", async () => {
    cliLedger = await ledgerOf(sql);
    cliSchema = await schemaFingerprint(sql);
    expect(cliLedger.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    expect(await applyAll(sql)).toEqual(migrations.map(() => "already-applied"));
    expect(await ledgerOf(sql)).toEqual(cliLedger);
  });

  it("down then up again round-trips to the same schema and exactly the CLI's ledger", async () => {
    await revertAll(sql);
    expect(await readLedger(sql)).toEqual([]);
    const [left] = await sql`select count(*)::int as n from pg_tables where schemaname = 'public'`;
    expect(left!.n).toBe(0);
    expect(await applyAll(sql)).toEqual(migrations.map(() => "applied"));
    expect(await ledgerOf(sql)).toEqual(cliLedger);
    expect(await schemaFingerprint(sql)).toBe(cliSchema);
  });

  it("supabase migration list agrees with the stack's ledger", () => {
    const list = supabaseCli(["migration", "list", "--db-url", `${db.postgresUrl}?sslmode=disable`]);
    expect(list.status).toBe(0);
    for (const m of migrations) expect(list.output).toMatch(new RegExp(`\`${m.version}\`\\s*\\|\\s*\`${m.version}\``));
  });

  it("a second run changes nothing", async () => {
    const before = await schemaFingerprint(sql);
    expect(await applyAll(sql)).toEqual(migrations.map(() => "already-applied"));
    expect(await schemaFingerprint(sql)).toBe(before);
  });

  it("two appliers at once apply each migration exactly once", async () => {
    await revertAll(sql);
    const other = postgres(db.postgresUrl, { max: 1, onnotice: () => {} });
    const [a, b] = await Promise.all([applyAll(sql), applyAll(other)]);
    await other.end();
    migrations.forEach((m, i) => expect([a[i], b[i]].sort(), m.name).toEqual(["already-applied", "applied"]));
    expect(await ledgerOf(sql)).toEqual(cliLedger);
  });

  it("a failing migration leaves the database and the ledger as they were", async () => {
    const before = await schemaFingerprint(sql);
    const ledgerBefore = await ledgerOf(sql);
    const bad: Migration = {
      version: "20261125999900",
      name: "broken",
      up: "create table public.half_done (id int);\nalter table public.tours add column half_done_flag boolean;\nselect no_such_function();",
      down: "drop table if exists public.half_done;",
    };
    await expect(applyMigration(sql, bad)).rejects.toThrow(
      /^migration 20261125999900_broken failed at statement 3 of 3 \(42883: function no_such_function\(\) does not exist\); nothing of it was applied$/,
    );
    expect(await schemaFingerprint(sql)).toBe(before);
    expect(await ledgerOf(sql)).toEqual(ledgerBefore);
  });

  it("refuses a migration that was edited after it was applied", async () => {
    const edited = { ...migrations[0]!, up: `${migrations[0]!.up}\ncomment on table public.tours is 'edited';` };
    await expect(applyMigration(sql, edited)).rejects.toThrow(
      "migration 20261125100000_tours was changed after it was applied (the ledger holds other statements); restore the file and add a new migration for the change",
    );
  });

  it("keeps an existing Roamcast database's tables and rows, and its down refuses to drop rows", async () => {
    const admin = db.admin();
    const tour = await createTour(admin, { label: "keep" });
    // Re-running the tours migration on a database that has the tables (as an
    // existing Roamcast database would) keeps them and their rows.
    const reapplied = { ...migrations[0]!, version: "20261125999800", name: "tours_again" };
    expect(await applyMigration(sql, reapplied)).toBe("applied");
    const [row] = await sql`select count(*)::int as n from public.tours where id = ${tour.tourId}`;
    expect(row!.n).toBe(1);
    await sql`delete from supabase_migrations.schema_migrations where version = '20261125999800'`;
    await expect(revertAll(sql)).rejects.toThrow(
      /refusing to drop public.tours and public.tour_participants: they hold rows/,
    );
    const [still] = await sql`select count(*)::int as n from public.tours`;
    expect(still!.n).toBe(1);
  });

  it("every down that deletes data refuses while its data is there, and runs when the loss is allowed for it", async () => {
    const admin = db.admin();
    await applyAll(sql);
    const [tours, rooms, joinRoom, events, openRoom] = migrations as [
      Migration,
      Migration,
      Migration,
      Migration,
      Migration,
    ];
    const refusal = (id: string, what: string) =>
      `down migration of ${id} would delete data (${what}); nothing was reverted. Move or delete that data first, or allow the loss for this migration alone: add "${id}" to the stack's allowDataLossMigrations and run \`pulumi up\` while its file is still in migrations/, then remove the file (by hand: npm run migrate -- revert ${id.slice(0, 14)} --allow-data-loss)`;

    // Only a function changes: nothing to guard.
    expect(await revertMigration(sql, openRoom)).toBe("reverted");
    await admin`select private.apply_livekit_event('evt-1', 'room_started', 'tour-nosuch', null, now())`;
    await expect(revertMigration(sql, events)).rejects.toThrow(
      refusal(
        "20261125100300_livekit_webhook_events",
        "refusing to drop private.livekit_webhook_events and private.livekit_room_presence: they hold 1 and 0 rows",
      ),
    );
    expect(await revertMigration(sql, events, { allowDataLoss: true })).toBe("reverted");
    expect(await revertMigration(sql, joinRoom)).toBe("reverted");

    const [tour] = await admin`select id from public.tours limit 1`;
    await admin`insert into public.livekit_rooms (tour_id, room_id) values (${tour!.id}, 'tour-kept')`;
    await expect(revertMigration(sql, rooms)).rejects.toThrow(
      refusal("20261125100100_livekit_rooms", "refusing to drop public.livekit_rooms: it holds 1 rows"),
    );
    await admin`delete from public.livekit_rooms`;
    await admin`update public.tours set livekit_room_status = 'finished'`;
    await expect(revertMigration(sql, rooms)).rejects.toThrow(
      "(refusing to drop public.tours.livekit_room_id and livekit_room_status: 1 tours have a room)",
    );
    expect(await revertMigration(sql, rooms, { allowDataLoss: true })).toBe("reverted");

    await expect(revertMigration(sql, tours)).rejects.toThrow(
      "(refusing to drop public.tours and public.tour_participants: they hold rows)",
    );
    expect(await revertMigration(sql, tours, { allowDataLoss: true })).toBe("reverted");
    expect(await readLedger(sql)).toEqual([]);
    const [left] = await sql`select count(*)::int as n from pg_tables where schemaname in ('public', 'private')`;
    expect(left!.n).toBe(0);
  });

  it("only the newest applied migration may be reverted; a middle one is refused with what must go first", async () => {
    expect(await applyAll(sql)).toEqual(migrations.map(() => "applied"));
    await expect(revertMigration(sql, migrations[1]!)).rejects.toThrow(
      "cannot revert 20261125100100_livekit_rooms: newer migrations are still applied and may depend on it: 20261130100000_join_tour_room_open_room, 20261125100300_livekit_webhook_events, 20261125100200_join_tour_room. Revert those first, newest first (remove their files and run `pulumi up`, or `npm run migrate -- revert <version>` for each); only the newest applied migration may be reverted",
    );
    // Any newer row of the ledger counts, whoever applied it.
    await sql`insert into supabase_migrations.schema_migrations (version, name) values ('20261231999700', 'elsewhere')`;
    await expect(revertMigration(sql, migrations.at(-1)!)).rejects.toThrow(
      "cannot revert 20261130100000_join_tour_room_open_room: newer migrations are still applied and may depend on it: 20261231999700_elsewhere.",
    );
    await sql`delete from supabase_migrations.schema_migrations where version = '20261231999700'`;
    expect(await ledgerOf(sql)).toEqual(cliLedger);
  });

  it("refuses a migration whose file was renamed after it was applied", async () => {
    await expect(applyMigration(sql, { ...migrations[3]!, name: "event_log" })).rejects.toThrow(
      "migration 20261125100300 was applied as 20261125100300_livekit_webhook_events, but migrations/ now names it 20261125100300_event_log: a migration's identity is its version. Rename the file and its down file back to 20261125100300_livekit_webhook_events.sql; to change what a migration does, add a new migration with a later version",
    );
    await expect(revertMigration(sql, { ...migrations[3]!, name: "event_log" })).rejects.toThrow(
      "migration 20261125100300 was applied as 20261125100300_livekit_webhook_events",
    );
    expect(await ledgerOf(sql)).toEqual(cliLedger);
  });

  it("migrations/ with a down file that deletes data without a guard is refused, naming the file", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "down"));
    writeFileSync(join(dir, "20270101000000_notes.sql"), "create table public.notes (id int);");
    writeFileSync(join(dir, "down", "20270101000000_notes.sql"), "-- undo\ndrop table if exists public.notes;");
    writeFileSync(
      join(dir, "20270101000100_note_fn.sql"),
      "create function public.f() returns int as $$ select 1 $$ language sql;",
    );
    writeFileSync(join(dir, "down", "20270101000100_note_fn.sql"), "drop function public.f();");
    expect(() => readMigrations(dir)).toThrow(
      `migrations/ has problems:\n  - 20270101000000_notes.sql: its down file deletes data ("drop table if exists public.notes …") without a guard: begin it with a do-block that raises SQLSTATE RD001 when those tables or columns hold data, unless current_setting('roamcast.allow_data_loss', true) = 'on' (as migrations/down/20261125100100_livekit_rooms.sql does)`,
    );
  });

  it("the CLI finds migrations/ and functions/ through the committed supabase/ links", () => {
    // The CLI reads <workdir>/supabase/{migrations,functions}; the tests above ran it with workdir = the project.
    expect(readlinkSync(join(root, "supabase", "migrations"))).toBe("../migrations");
    expect(readlinkSync(join(root, "supabase", "functions"))).toBe("../functions");
  });
});
