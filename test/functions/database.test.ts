// functions/_shared/database.ts against PostgreSQL with the migrations applied:
// asRoleInOneExchange runs its statement as the caller (claims, role,
// row-level security), all or nothing, and its literals hold any text exactly.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asRoleInOneExchange, jsonbCannotHold, textLiteral, uuidLiteral } from "../../functions/_shared/database";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { createTour, type TourFixture } from "../../local/roles";

describe("asRoleInOneExchange", () => {
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

  it("runs the statement as the caller, under row-level security, and nothing outlives it", async () => {
    const visible = async (sub: string) => {
      const [row] = await asRoleInOneExchange<{ who: string; uid: string; n: number }>(
        sql,
        "authenticated",
        user(sub),
        `select current_user as who, auth.uid()::text as uid,
                (select count(*)::int from public.tours where id = ${uuidLiteral(tour.tourId)}) as n`,
      );
      expect(row).toMatchObject({ who: "authenticated", uid: sub });
      return row!.n;
    };
    expect(await visible(tour.guide)).toBe(1);
    expect(await visible(tour.outsider)).toBe(0);
    const [service] = await asRoleInOneExchange<{ who: string }>(sql, "service_role", {}, "select current_user as who");
    expect(service!.who).toBe("service_role");
    // The same connection (max: 1) afterwards: its own user again, no claims.
    const [after] = await sql<{ who: string; claims: string | null }[]>`
      select current_user as who, nullif(current_setting('request.jwt.claims', true), '') as claims`;
    expect(after).toEqual({ who: "postgres", claims: null });
  });

  it("is all or nothing, and refuses a role it does not know before sending anything", async () => {
    const title = `one exchange rolled back ${Date.now()}`;
    const attempt = asRoleInOneExchange(
      sql,
      "service_role",
      { role: "service_role" },
      `with made as (insert into public.tours (guide_id, title, starts_at, ends_at)
         values (${uuidLiteral(tour.guide)}, ${textLiteral(title)}, now(), now() + interval '1 hour') returning 1)
       select 1 / (select count(*)::int - 1 from made) as boom`,
    );
    await expect(attempt).rejects.toMatchObject({ code: "22012" });
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from public.tours where title = ${title}`;
    expect(row!.n).toBe(0);
    // The connection is usable again, outside any transaction.
    const [me] = await asRoleInOneExchange<{ uid: string }>(
      sql,
      "authenticated",
      user(tour.guide),
      "select auth.uid()::text as uid",
    );
    expect(me!.uid).toBe(tour.guide);
    wire.length = 0;
    await expect(asRoleInOneExchange(sql, "postgres" as "authenticated", {}, "select 1")).rejects.toThrow(
      /no such role/,
    );
    expect(wire).toEqual([]);
  });

  it("textLiteral holds any text PostgreSQL can, byte for byte; uuidLiteral only a UUID", async () => {
    const texts = [
      "",
      "it's",
      "'); drop table public.tours; --",
      "back\\slash \\' and E'\\'' and \\x27",
      '$$ $tag$ " ; -- /* */',
      "ünïcödé ✓ 🚀 עברית \u202e e\u0301 \uFEFF",
      "line\nbreak\ttab\r\u007f\u0001",
      "x".repeat(10_000),
    ];
    for (const text of texts) {
      expect(textLiteral(text)).toMatch(/^convert_from\(decode\('[A-Za-z0-9+/=]*', 'base64'\), 'UTF8'\)$/);
      const [row] = await sql.unsafe<{ v: string }[]>(`select ${textLiteral(text)} as v`);
      expect(row!.v).toBe(text);
    }
    for (const bad of ["nul \u0000", "half \ud800", "\udc00 half"]) {
      expect(() => textLiteral(bad)).toThrow(/cannot hold/);
      expect(jsonbCannotHold({ nested: [{ [bad]: 1 }] })).toBe(true);
    }
    expect(jsonbCannotHold({ ok: ["🚀", "it's", 1, null] })).toBe(false);
    expect(uuidLiteral(tour.tourId)).toBe(`'${tour.tourId}'::uuid`);
    for (const bad of [`${tour.tourId}'; select 1; --`, tour.tourId.toUpperCase(), "", `${tour.tourId}\u0000`])
      expect(() => uuidLiteral(bad)).toThrow(/not a lowercase UUID/);
  });
});
