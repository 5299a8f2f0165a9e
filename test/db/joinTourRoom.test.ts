// private.join_tour_room on real PostgreSQL, called as PostgREST would call it.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { type Actor, asActorCommitted, createTour } from "../../local/roles";

interface Joined {
  room_name: string;
  participant_role: string;
  access_until: Date;
}

describe("private.join_tour_room", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;

  const join_ = (actor: Actor, tourId: string | null, sql: postgres.Sql = admin) =>
    asActorCommitted(
      sql,
      actor,
      async (tx) => (await tx<Joined[]>`select * from private.join_tour_room(${tourId})`)[0]!,
    );
  const errorCode = async (p: Promise<unknown>) => {
    try {
      await p;
      return "ok";
    } catch (e) {
      return (e as { code?: string }).code;
    }
  };

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
  }, 90_000);
  afterAll(async () => db?.stop());

  it("makes the guide a guide, marks the tour live, and ends access with the tour plus its overrun", async () => {
    const t = await createTour(admin);
    const joined = await join_({ kind: "user", id: t.guide }, t.tourId);
    expect(joined.participant_role).toBe("guide");
    expect(joined.room_name).toBe(`tour-${t.tourId}`);
    const [tour] =
      await admin`select livekit_room_id, livekit_room_status, ends_at from public.tours where id = ${t.tourId}`;
    expect(tour).toMatchObject({ livekit_room_id: joined.room_name, livekit_room_status: "live" });
    expect(joined.access_until.getTime() - tour!.ends_at.getTime()).toBe(30 * 60 * 1000);
  });

  it("makes a participant a listener in the same room; a listener first opens the room without making it live", async () => {
    const t = await createTour(admin, { listeners: 2 });
    const first = await join_({ kind: "user", id: t.listeners[0]! }, t.tourId);
    expect(first.participant_role).toBe("listener");
    expect(
      (await admin`select livekit_room_status from public.tours where id = ${t.tourId}`)[0]!.livekit_room_status,
    ).toBe("open");
    const guide = await join_({ kind: "user", id: t.guide }, t.tourId);
    const second = await join_({ kind: "user", id: t.listeners[1]! }, t.tourId);
    expect(new Set([first.room_name, guide.room_name, second.room_name]).size).toBe(1);
    expect(
      (await admin`select livekit_room_status from public.tours where id = ${t.tourId}`)[0]!.livekit_room_status,
    ).toBe("live");
  });

  it("answers each refusal with its own code", async () => {
    const t = await createTour(admin);
    const ended = await createTour(admin, { startsInMinutes: -300, hours: 3 });
    expect(await errorCode(join_({ kind: "user", id: t.outsider }, t.tourId))).toBe("RT403");
    expect(await errorCode(join_({ kind: "user", id: t.guide }, "00000000-0000-4000-8000-000000000000"))).toBe("RT404");
    expect(await errorCode(join_({ kind: "user", id: ended.listeners[0]! }, ended.tourId))).toBe("RT410");
    expect(await errorCode(join_({ kind: "user", id: t.guide }, null))).toBe("RT400");
    // The authenticated role without claims: nobody is signed in.
    const unsigned = admin.begin(async (tx) => {
      await tx.unsafe("set local role authenticated");
      return tx`select * from private.join_tour_room(${t.tourId})`;
    });
    expect(await errorCode(unsigned)).toBe("RT401");
  });

  it("is callable by signed-in users only: not by anon, and not through an exposed schema", async () => {
    const [grants] = await admin`
      select has_function_privilege('anon', 'private.join_tour_room(uuid)', 'execute') as anon,
             has_function_privilege('authenticated', 'private.join_tour_room(uuid)', 'execute') as authenticated,
             has_schema_privilege('anon', 'private', 'usage') as anon_schema,
             (select prosecdef from pg_proc where oid = 'private.join_tour_room(uuid)'::regprocedure) as definer,
             (select proconfig from pg_proc where oid = 'private.join_tour_room(uuid)'::regprocedure) as config`;
    expect(grants).toEqual({
      anon: false,
      authenticated: true,
      anon_schema: false,
      definer: true,
      config: ['search_path=""'],
    });
    const t = await createTour(admin);
    expect(
      await errorCode(
        asActorCommitted(admin, { kind: "anon" }, (tx) => tx`select * from private.join_tour_room(${t.tourId})`),
      ),
    ).toBe("42501");
  });

  it("30 listeners joining at once get one room between them", async () => {
    const t = await createTour(admin, { listeners: 30 });
    const pool = postgres(db.adminUrl, { max: 30, onnotice: () => {} });
    const joined = await Promise.all(t.listeners.map((id) => join_({ kind: "user", id }, t.tourId, pool)));
    await pool.end();
    expect(new Set(joined.map((j) => j.room_name))).toEqual(new Set([`tour-${t.tourId}`]));
    expect(joined.every((j) => j.participant_role === "listener")).toBe(true);
    const rooms = await admin`select room_id, status from public.livekit_rooms where tour_id = ${t.tourId}`;
    expect(rooms).toHaveLength(1);
  });

  it("opens a fresh room when the previous one has finished", async () => {
    const t = await createTour(admin);
    const first = await join_({ kind: "user", id: t.guide }, t.tourId);
    await admin`update public.livekit_rooms set status = 'finished' where room_id = ${first.room_name}`;
    const second = await join_({ kind: "user", id: t.guide }, t.tourId);
    expect(second.room_name).toBe(`tour-${t.tourId}-2`);
  });
});
