// Migrations under the real Pulumi engine (the CLI, a file backend, a
// passphrase, the Node dynamic-provider host) on real PostgreSQL made to look
// like Supabase, with the Supabase CLI checking its own ledger. The program is
// the SupabaseMigrations component, run inline; each test changes the
// migration list it sees, as a commit (or its revert) changes migrations/.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { migrationProvider, SupabaseMigrations } from "../../components/migrations";
import { type Migration, migrationId, readMigrations } from "../../db/migrations";
import { readLedger } from "../../db/migrator";
import { startTestDatabase, type TestDatabase } from "../../local/database";
import { type EngineStack, engineStack, failureOf } from "../support/engine";

const root = join(__dirname, "..", "..");
const project = readMigrations(join(root, "migrations"));
// The project's first four migrations: the test adds and reverts the fourth on
// top of the first three, so migrations added later do not change its steps.
const [first, second, third, fourth] = project as [Migration, Migration, Migration, Migration];
const firstFour = [first, second, third, fourth];

/** A migration of the test's own, whose down file refuses to drop rows unless allowed (as the project's do). */
const notes: Migration = {
  version: "20261201000000",
  name: "engine_notes",
  up: "create table public.engine_notes (id int primary key, body text not null);",
  down: `do $$ begin
  if current_setting('roamcast.allow_data_loss', true) is distinct from 'on'
     and exists (select 1 from public.engine_notes) then
    raise exception 'refusing to drop public.engine_notes: it holds rows' using errcode = 'RD001';
  end if;
end $$;
drop table public.engine_notes;`,
};

async function schema(sql: postgres.Sql): Promise<string> {
  const rows = await sql`
    select 'column ' || table_name || '.' || column_name || ' ' || data_type as item
      from information_schema.columns where table_schema in ('public', 'private')
    union all select 'function ' || p.oid::regprocedure from pg_proc p where pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    union all select 'policy ' || tablename || ' ' || policyname from pg_policies where schemaname = 'public'
    order by 1`;
  return rows.map((r) => r.item).join("\n");
}

function supabaseMigrationList(url: string): string {
  const result = spawnSync(
    join(root, "node_modules", ".bin", "supabase"),
    ["migration", "list", "--db-url", `${url}?sslmode=disable`, "--workdir", root],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect(result.status, result.stderr).toBe(0);
  return `${result.stdout}${result.stderr}`;
}

/** The remote column of `supabase migration list`: the versions the CLI reads from its ledger. */
const remoteVersions = (list: string) => [...list.matchAll(/^\s*(?:`\d{14}`)?\s*\|\s*`(\d{14})`/gm)].map((m) => m[1]);

/** A dynamic resource with any provider (the class is abstract). */
class Step extends pulumi.dynamic.Resource {}

/** The migration steps an engine operation ran, in order, with their operation. */
function stepsOf(events: EngineEvent[]): string[] {
  return events
    .flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []))
    .filter((m) => m.type === "pulumi-nodejs:dynamic:Resource" && m.op !== "same")
    .map((m) => `${m.op} ${m.urn.split("::").pop()}`);
}

describe("migrations under the real Pulumi engine", () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  let engine: EngineStack;
  let current: readonly Migration[] = [];
  let allowDataLoss = new Set<string>();
  let protect = false;

  const preview = async (list: readonly Migration[]) => {
    current = list;
    const events: EngineEvent[] = [];
    const result = await engine.stack.preview({ diff: true, onEvent: (e) => events.push(e) });
    return { ...result, steps: stepsOf(events) };
  };
  const up = async (list: readonly Migration[]) => {
    current = list;
    const events: EngineEvent[] = [];
    const result = await engine.stack.up({ onEvent: (e) => events.push(e) });
    return { ...result, steps: stepsOf(events) };
  };
  const ledger = async () => (await readLedger(sql)).map((r) => `${r.version}_${r.name}`);
  const stateSteps = async () =>
    ((await engine.stack.exportStack()).deployment.resources ?? [])
      .filter((r: { type: string }) => r.type === "pulumi-nodejs:dynamic:Resource")
      .map((r: { urn: string }) => r.urn.split("::").pop())
      .sort();
  const step = (m: Migration) => `supabase-migration-${m.version}`;

  beforeAll(async () => {
    db = await startTestDatabase();
    sql = postgres(db.postgresUrl, { max: 2, onnotice: () => {} });
    engine = await engineStack("dev", async () => {
      const migrations = new SupabaseMigrations(
        "supabase-migrations",
        {
          dbUrl: db.postgresUrl,
          migrations: current,
          allowDataLoss,
          namePrefix: "supabase",
        },
        { protect },
      );
      return { applied: migrations.appliedMigrations };
    });
  }, 120_000);
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await db?.stop();
    engine?.remove();
  });

  let beforeFourth: string;

  it("a new stack: the preview lists every migration as a create; up applies them in order; the CLI's ledger agrees", async () => {
    const planned = await preview([first, second, third]);
    expect(planned.steps).toEqual([first, second, third].map((m) => `create ${step(m)}`));
    expect(await ledger()).toEqual([]);
    const result = await up([first, second, third]);
    expect(result.summary.result).toBe("succeeded");
    expect(result.steps).toEqual([first, second, third].map((m) => `create ${step(m)}`));
    expect(result.outputs.applied!.value).toEqual([first, second, third].map(migrationId));
    expect(await ledger()).toEqual([first, second, third].map(migrationId));
    expect(remoteVersions(supabaseMigrationList(db.postgresUrl))).toEqual([first, second, third].map((m) => m.version));
  });

  it("a second preview with nothing changed is empty", async () => {
    const planned = await preview([first, second, third]);
    expect(planned.steps).toEqual([]);
    expect(planned.changeSummary).toEqual({ same: 5 });
  });

  it("an added migration: the preview shows exactly one create; up applies it", async () => {
    beforeFourth = await schema(sql);
    expect((await preview(firstFour)).steps).toEqual([`create ${step(fourth)}`]);
    expect((await up(firstFour)).steps).toEqual([`create ${step(fourth)}`]);
    expect(await ledger()).toEqual(firstFour.map(migrationId));
    expect(await schema(sql)).not.toBe(beforeFourth);
  });

  it("a revert (the file removed): the preview shows one delete carrying its down SQL; up restores schema and ledger", async () => {
    const planned = await preview([first, second, third]);
    expect(planned.steps).toEqual([`delete ${step(fourth)}`]);
    expect(planned.stdout).toContain(`- pulumi-nodejs:dynamic:Resource: (delete)`);
    expect(planned.stdout).toContain(`down         : ${JSON.stringify(fourth.down.split("\n")[0]).slice(0, -1)}`);
    console.log(`--- preview of a rollback ---\n${planned.stdout}`);
    expect((await up([first, second, third])).steps).toEqual([`delete ${step(fourth)}`]);
    expect(await schema(sql)).toBe(beforeFourth);
    expect(await ledger()).toEqual([first, second, third].map(migrationId));
    expect(remoteVersions(supabaseMigrationList(db.postgresUrl))).toEqual([first, second, third].map((m) => m.version));
    expect(await stateSteps()).toEqual([first, second, third].map(step));
  });

  it("a migration failing half-way: up fails; database, ledger and state agree; after the fix the next up succeeds", async () => {
    const broken = { ...notes, up: `${notes.up}\ninsert into public.engine_notes values (1, null);` };
    const message = await failureOf(() => up([first, second, third, broken]));
    expect(message).toContain(`migration ${migrationId(notes)} failed at statement 2 of 2`);
    const [table] = await sql`select to_regclass('public.engine_notes') as t`;
    expect(table!.t).toBeNull();
    expect(await ledger()).toEqual([first, second, third].map(migrationId));
    expect(await stateSteps()).toEqual([first, second, third].map(step));
    expect((await up([first, second, third, notes])).steps).toEqual([`create ${step(notes)}`]);
    expect(await ledger()).toEqual([first, second, third, notes].map(migrationId));
  });

  it("a reworded down file: the preview shows an update; up keeps the new down SQL and runs nothing", async () => {
    const before = [await ledger(), await schema(sql)];
    const reworded = { ...third, down: `-- reworded\n${third.down}` };
    expect((await preview([first, second, reworded, notes])).steps).toEqual([`update ${step(third)}`]);
    expect((await up([first, second, reworded, notes])).steps).toEqual([`update ${step(third)}`]);
    expect([await ledger(), await schema(sql)]).toEqual(before);
    expect((await up([first, second, third, notes])).steps).toEqual([`update ${step(third)}`]);
  });

  it("a middle migration reverted while newer ones are applied: up fails naming what must go first", async () => {
    const message = await failureOf(() => up([first, third, notes]));
    expect(message).toContain(
      `cannot revert ${migrationId(second)}: newer migrations are still applied and may depend on it: ${migrationId(notes)}, ${migrationId(third)}`,
    );
    expect(await ledger()).toEqual([first, second, third, notes].map(migrationId));
    // The state still holds the middle one: its delete failed.
    expect(await stateSteps()).toEqual([first, second, third, notes].map(step));
    expect((await up([first, second, third, notes])).steps).toEqual([]);
  });

  it("an applied migration edited or renamed: the preview fails naming it, and nothing changes", async () => {
    const before = [await ledger(), await schema(sql), await stateSteps()];
    const edited = await failureOf(() => preview([first, { ...second, up: `${second.up}\nselect 1;` }, third, notes]));
    expect(edited).toContain(`refused: applied migration ${migrationId(second)} edited`);
    const renamed = await failureOf(() => preview([first, second, third, { ...notes, name: "notes" }]));
    expect(renamed).toContain(
      `was applied as ${migrationId(notes)}, but migrations/ now names it ${notes.version}_notes`,
    );
    expect([await ledger(), await schema(sql), await stateSteps()]).toEqual(before);
  });

  it("a down migration that would delete rows is refused unless the stack allows it for that migration", async () => {
    await sql`insert into public.engine_notes values (1, 'kept')`;
    const refused = await failureOf(() => up([first, second, third]));
    expect(refused).toContain(`down migration of ${migrationId(notes)} would delete data`);
    expect(await ledger()).toEqual([first, second, third, notes].map(migrationId));
    allowDataLoss = new Set([notes.version]);
    const allowed = await up([first, second, third, notes]);
    expect(allowed.steps).toEqual([`update ${step(notes)}`]);
    expect((await up([first, second, third])).steps).toEqual([`delete ${step(notes)}`]);
    expect(await ledger()).toEqual([first, second, third].map(migrationId));
    allowDataLoss = new Set();
  });

  it("keeps the database URL as ciphertext in the state file", async () => {
    const state = engine.stateText();
    expect(state).toContain(step(first));
    expect(state).not.toContain(db.postgresUrl);
    expect(state).not.toContain("postgres:postgres@");
    expect(state).toMatch(/"ciphertext":\s*"v1:/);
  });

  it("two ups at once: the second is refused by the backend's lock, and nothing is applied twice or half", async () => {
    const slow = { version: "20261202000000", name: "slow", up: "select pg_sleep(3);", down: "select 1;" };
    current = [first, second, third, slow];
    const results = await Promise.allSettled([engine.stack.up(), engine.stack.up()]);
    const refused = results.filter((r) => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/locked/);
    expect(await ledger()).toEqual([first, second, third, slow].map(migrationId));
    expect(await stateSteps()).toEqual([first, second, third, slow].map(step));
  });

  it("destroy of a protected stack is refused, and nothing is reverted", async () => {
    protect = true;
    const before = [await ledger(), await schema(sql)];
    expect((await up(current)).summary.result).toBe("succeeded");
    const message = await failureOf(() => engine.stack.destroy());
    expect(message).toMatch(/protected/);
    expect([await ledger(), await schema(sql)]).toEqual(before);
    expect(await stateSteps()).toEqual(current.map(step));
  });

  it("a changed provider (the serialized code differs) is no change: the preview after it is empty", async () => {
    let provider = migrationProvider;
    // Fresh each run: the SDK adds the serialized provider to the object it is given.
    const inputs = () => ({ ...first, dbUrl: pulumi.secret(db.postgresUrl), allowDataLoss: false, outcome: undefined });
    const other = await engineStack("provider-change", async () => {
      new Step(provider, step(first), inputs(), { additionalSecretOutputs: ["dbUrl"] });
    });
    try {
      const up = await other.stack.up();
      expect(up.summary.resourceChanges).toEqual({ create: 2 });
      // A helper added to the provider: its serialized text, kept in each resource's inputs, changes.
      provider = { ...migrationProvider, read: async (id, props) => ({ id, props }) };
      const events: EngineEvent[] = [];
      await other.stack.preview({ onEvent: (e) => events.push(e) });
      expect(stepsOf(events)).toEqual([]);
      expect(await ledger()).toContain(migrationId(first));
    } finally {
      other.remove();
    }
  });
});
