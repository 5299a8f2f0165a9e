// What happens to the database when migrations/ changes under a stack that
// applied it: the SupabaseBackend recorded before and after the change under
// Pulumi's mocks, and the steps `pulumi up` would run between the two, run for
// real against PostgreSQL in a checkout holding the changed migrations/.
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Migration, readMigrations } from "../../db/migrations";
import { readLedger } from "../../db/migrator";
import { startTestDatabase, type TestDatabase } from "../../local/database";
import { createTour } from "../../local/roles";
import { withMocks } from "../support/pulumiMocks";
import {
  checkout,
  migrationCommand,
  pulumiSteps,
  type Recording,
  recordBackend,
  root,
  runRecorded,
  runSteps,
} from "../support/pulumiSteps";

const migrations = readMigrations(join(root, "migrations"));
const [tours, rooms, joinRoom, webhookEvents] = migrations as [Migration, Migration, Migration, Migration];
const applyEventFn = "private.apply_livekit_event(text, text, text, text, timestamptz)";

async function functionExists(sql: postgres.Sql, signature: string): Promise<boolean> {
  const [row] = await sql`select to_regprocedure(${signature}) is not null as present`;
  return row!.present as boolean;
}

describe("changing migrations/ under a stack that applied them", () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  let applied: Recording;
  const ledgerIds = async () => (await readLedger(sql)).map((r) => `${r.version}_${r.name}`);

  beforeAll(async () => {
    db = await startTestDatabase();
    sql = postgres(db.postgresUrl, { max: 1, onnotice: () => {} });
    applied = await recordBackend(db.postgresUrl, migrations);
    const results = await runSteps(pulumiSteps({ resources: [], aliases: new Map() }, applied), checkout(migrations));
    expect(results.map((r) => r.stdout.trim())).toEqual(migrations.map((m) => `applied  ${m.version}_${m.name}`));
  }, 90_000);
  afterAll(async () => {
    await sql?.end();
    await db?.stop();
  });

  it("an existing stack's resources, named <version>_<name> before, stay the same resources (no re-create)", async () => {
    const oldStyle: Recording = {
      resources: applied.resources.map((r) => {
        const m = migrations.find((x) => r.name === `supabase-migration-${x.version}`);
        return m ? { ...r, name: `supabase-migration-${m.version}_${m.name}` } : r;
      }),
      aliases: new Map(),
    };
    const actions = pulumiSteps(oldStyle, applied).map((s) => s.action);
    expect(actions).not.toContain("create");
    expect(actions).not.toContain("delete");
  });

  it("renaming an applied migration's file is refused, and its schema stays", async () => {
    const renamed = { ...webhookEvents, name: "event_log" };
    const after = await recordBackend(db.postgresUrl, [tours, rooms, joinRoom, renamed]);
    const results = await runSteps(pulumiSteps(applied, after), checkout([tours, rooms, joinRoom, renamed]));
    const failed = results.at(-1)!;
    expect(failed.status).toBe(1);
    expect(failed.stderr.trim()).toBe(
      "migration 20261125100300 was applied as 20261125100300_livekit_webhook_events, but migrations/ now names it 20261125100300_event_log: a migration's identity is its version. Rename the file and its down file back to 20261125100300_livekit_webhook_events.sql; to change what a migration does, add a new migration with a later version",
    );
    expect(results.map((r) => r.stdout)).not.toContain(expect.stringMatching(/^reverted/));
    expect(await functionExists(sql, applyEventFn)).toBe(true);
    expect(await ledgerIds()).toEqual(migrations.map((m) => `${m.version}_${m.name}`));
  });

  it("the delete of a renamed migration's old resource, should Pulumi run it, is refused too", async () => {
    // Before the create, or on a stack whose old resource no alias matches: the old
    // resource's delete runs while migrations/ holds the same version under its new name.
    const renamed = { ...webhookEvents, name: "event_log" };
    const result = await runRecorded(
      migrationCommand(applied, webhookEvents.version),
      "delete",
      {},
      checkout([tours, rooms, joinRoom, renamed]),
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      "refusing to revert 20261125100300_livekit_webhook_events: migrations/ still holds version 20261125100300, as 20261125100300_event_log (renamed). The migration stays applied under its version; Pulumi deletes the old resource only because its name or statements changed. Restore migrations/20261125100300_livekit_webhook_events.sql as it was applied; put changes in a new migration with a later version",
    );
    expect(await functionExists(sql, applyEventFn)).toBe(true);
  });

  it("editing only a down file updates the resource and changes nothing in the database", async () => {
    const editedDown = { ...joinRoom, down: `-- reworded\n${joinRoom.down}` };
    const list = [tours, rooms, editedDown, webhookEvents];
    const steps = pulumiSteps(applied, await recordBackend(db.postgresUrl, list));
    expect(steps.map((s) => s.action)).toEqual(["update"]);
    const results = await runSteps(steps, checkout(list));
    expect(results.map((r) => r.stdout.trim())).toEqual([`already-applied  ${joinRoom.version}_${joinRoom.name}`]);
  });

  it("reverting a middle migration while newer ones are applied is refused, naming what must go first", async () => {
    const result = await runRecorded(
      migrationCommand(applied, rooms.version),
      "delete",
      {},
      checkout([tours, joinRoom, webhookEvents]),
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      "cannot revert 20261125100100_livekit_rooms: newer migrations are still applied and may depend on it: 20261125100300_livekit_webhook_events, 20261125100200_join_tour_room. Revert those first, newest first (remove their files and run `pulumi up`, or `npm run migrate -- revert <version>` for each); only the newest applied migration may be reverted",
    );
    expect(await ledgerIds()).toEqual(migrations.map((m) => `${m.version}_${m.name}`));
  });

  it("a down that would delete rows is refused, naming the table and how to allow it", async () => {
    const tour = await createTour(db.admin(), { label: "rooms" });
    await db.admin()`insert into public.livekit_rooms (tour_id, room_id) values (${tour.tourId}, 'tour-room-1')`;
    const kept = [tours, rooms];
    const steps = pulumiSteps(applied, await recordBackend(db.postgresUrl, kept));
    expect(steps.map((s) => `${s.action} ${s.resource.name}`)).toEqual([
      `delete ${migrationCommand(applied, webhookEvents.version).name}`,
      `delete ${migrationCommand(applied, joinRoom.version).name}`,
    ]);
    expect((await runSteps(steps, checkout(kept))).map((r) => r.stdout.trim())).toEqual([
      `reverted  ${webhookEvents.version}_${webhookEvents.name}`,
      `reverted  ${joinRoom.version}_${joinRoom.name}`,
    ]);
    const result = await runRecorded(migrationCommand(applied, rooms.version), "delete", {}, checkout([tours]));
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'down migration of 20261125100100_livekit_rooms would delete data (refusing to drop public.livekit_rooms: it holds 1 rows); nothing was reverted. Move or delete that data first, or allow the loss for this migration alone: add "20261125100100_livekit_rooms" to the stack\'s allowDataLossMigrations and run `pulumi up` while its file is still in migrations/, then remove the file (by hand: npm run migrate -- revert 20261125100100 --allow-data-loss)',
    );
    const [rows] = await sql`select count(*)::int as n from public.livekit_rooms`;
    expect(rows!.n).toBe(1);
  });

  it("allowDataLoss naming the migration, recorded while its file is present, lets its down delete the rows", async () => {
    const allowing = await recordBackend(db.postgresUrl, [tours, rooms], ["20261125100100_livekit_rooms"]);
    const before: Recording = {
      resources: applied.resources.filter((r) => r.name.includes(tours.version) || r.name.includes(rooms.version)),
      aliases: new Map(),
    };
    const steps = pulumiSteps(before, allowing);
    expect(steps.map((s) => s.action)).toEqual(["update"]);
    expect((await runSteps(steps, checkout([tours, rooms])))[0]!.stdout.trim()).toBe(
      `already-applied  ${rooms.version}_${rooms.name}`,
    );
    const result = await runRecorded(migrationCommand(allowing, rooms.version), "delete", {}, checkout([tours]));
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(`reverted  ${rooms.version}_${rooms.name}`);
    const [table] = await sql`select to_regclass('public.livekit_rooms') is null as gone`;
    expect(table!.gone).toBe(true);
  });

  it("allowDataLoss entries are warned about at every preview; a malformed or misnamed one is refused", async () => {
    const run = await withMocks("dev", {});
    const warn = vi.spyOn(run.pulumi.log, "warn");
    const { SupabaseBackend } = await import("../../components/supabase");
    const args = (allowDataLoss: string[]) => ({
      projectRef: "abcdefghijklmnopqrst",
      dbUrl: db.postgresUrl,
      accessToken: "sbp_test_token_0123456789abcdefghij",
      migrations: [tours],
      functionHashes: { "livekit-token": "a".repeat(64), "livekit-webhook": "b".repeat(64) },
      livekit: { url: "wss://live.test", apiKey: "APIkey", apiSecret: "s".repeat(48) },
      tokenMaxSeconds: 12_600,
      allowDataLoss,
    });
    new SupabaseBackend("supabase", args(["20261125100000", "20261125100100_livekit_rooms"]));
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      "data loss is allowed for 20261125100000_tours: a revert of it may delete rows",
      "allowDataLoss names 20261125100100_livekit_rooms, which is not in migrations/: it takes effect only if it was applied (pulumi up) while the file was there; remove the entry once the revert is done",
    ]);
    expect(() => new SupabaseBackend("a", args(["livekit_rooms"]))).toThrow(
      'SupabaseBackend: allowDataLoss entry "livekit_rooms" is not a migration id or version; write it as migrations/ names the file without .sql (e.g. 20261125100100_livekit_rooms) or as its 14-digit version',
    );
    expect(() => new SupabaseBackend("b", args(["20261125100000_tour"]))).toThrow(
      'SupabaseBackend: allowDataLoss entry "20261125100000_tour" names version 20261125100000, which is 20261125100000_tours',
    );
  });
});
