// functions/_shared/database.ts against PostgreSQL with the migrations applied:
// asRoleAtOnce runs its statements as the caller (claims, role, row-level
// security), in one write to the wire, and all or nothing.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asRoleAtOnce } from "../../functions/_shared/database";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { createTour, type TourFixture } from "../../local/roles";

describe("asRoleAtOnce", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let tour: TourFixture;
  /** What the connection did, in order: each statement as it is sent, and marks the test adds. */
  const wire: string[] = [];
  let sql: postgres.Sql;

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
    tour = await createTour(admin, { label: "at-once" });
    // As connect() does (no prepared statements), with a window on what is sent.
    sql = postgres(db.postgresUrl, { prepare: false, max: 1, onnotice: () => {}, debug: (_c, q) => wire.push(q) });
  }, 120_000);
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await db?.stop();
  });

  const user = (sub: string) => ({ sub, role: "authenticated", aud: "authenticated" });

  it("runs the statements as the caller: role authenticated, auth.uid() from the claims, row-level security", async () => {
    const visible = async (sub: string) => {
      const [[me], [tours]] = await asRoleAtOnce(sql, "authenticated", user(sub), (tx) => [
        tx<{ who: string; uid: string }[]>`select current_user as who, auth.uid()::text as uid`,
        tx<{ n: number }[]>`select count(*)::int as n from public.tours where id = ${tour.tourId}`,
      ]);
      expect(me).toEqual({ who: "authenticated", uid: sub });
      return tours!.n;
    };
    expect(await visible(tour.guide)).toBe(1);
    expect(await visible(tour.outsider)).toBe(0);
    const [[after]] = await asRoleAtOnce(sql, "service_role", { role: "service_role" }, (tx) => [
      tx<{ who: string }[]>`select current_user as who`,
    ]);
    expect(after!.who).toBe("service_role");
  });

  it("sends the claims, the role and every statement before the first answers: one round trip, not one each", async () => {
    wire.length = 0;
    await asRoleAtOnce(sql, "authenticated", user(tour.guide), (tx) => {
      const slow = tx`select pg_sleep(0.3) as slept`;
      void slow.then(() => wire.push("(the slow statement answered)"));
      return [slow, tx`select 'second' as s`];
    });
    const answered = wire.indexOf("(the slow statement answered)");
    const sent = (text: string) => wire.findIndex((q) => q.includes(text));
    expect(sent("set_config('role'")).toBeGreaterThan(sent("begin"));
    expect(sent("pg_sleep")).toBeGreaterThan(sent("set_config('role'"));
    expect(sent("'second'")).toBeGreaterThan(sent("pg_sleep"));
    expect(sent("'second'")).toBeLessThan(answered);
  });

  it("is all or nothing: a statement that fails rolls back what the ones before it did", async () => {
    const title = `rolled back ${Date.now()}`;
    const attempt = asRoleAtOnce(sql, "service_role", { role: "service_role" }, (tx) => [
      tx`insert into public.tours (guide_id, title, starts_at, ends_at)
         values (${tour.guide}, ${title}, now(), now() + interval '1 hour')`,
      tx`select 1 / 0`,
    ]);
    await expect(attempt).rejects.toMatchObject({ code: "22012" });
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from public.tours where title = ${title}`;
    expect(row!.n).toBe(0);
    // The connection is usable again, outside any transaction.
    const [[me]] = await asRoleAtOnce(sql, "authenticated", user(tour.guide), (tx) => [
      tx<{ uid: string }[]>`select auth.uid()::text as uid`,
    ]);
    expect(me!.uid).toBe(tour.guide);
  });
});
