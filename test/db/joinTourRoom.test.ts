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

  describe("the tour's row lock", () => {
    // A second connection holds the tour's row lock, as a join that opens the room does until its commit; the join
    // under test runs on its own connection with a bounded lock wait, so a join that queues fails with 55P03.
    const whileRowLocked = async <T>(tourId: string, join: (sql: postgres.Sql) => Promise<T>) => {
      const holder = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
      const joiner = postgres(db.adminUrl, { max: 1, onnotice: () => {}, connection: { lock_timeout: 2000 } });
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const held = holder.begin(async (tx) => {
        await tx`select 1 from public.tours where id = ${tourId} for update`;
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      try {
        await isLocked;
        const outcome = await join(joiner).then(
          (value) => ({ value, code: "ok" }),
          (e: { code?: string }) => ({ value: undefined, code: e.code }),
        );
        return outcome;
      } finally {
        release();
        await held;
        await Promise.all([holder.end(), joiner.end()]);
      }
    };

    it("is not taken by a listener joining a room that is already open: the join does not queue behind it", async () => {
      const t = await createTour(admin, { listeners: 2 });
      const first = await join_({ kind: "user", id: t.listeners[0]! }, t.tourId);
      const joined = await whileRowLocked(t.tourId, (sql) =>
        join_({ kind: "user", id: t.listeners[1]! }, t.tourId, sql),
      );
      expect(joined.code).toBe("ok");
      expect(joined.value).toMatchObject({ room_name: first.room_name, participant_role: "listener" });
    });

    it("is not taken by anyone joining a live room, the guide again included", async () => {
      const t = await createTour(admin, { listeners: 1 });
      await join_({ kind: "user", id: t.guide }, t.tourId);
      for (const id of [t.listeners[0]!, t.guide]) {
        const joined = await whileRowLocked(t.tourId, (sql) => join_({ kind: "user", id }, t.tourId, sql));
        expect(joined.code).toBe("ok");
      }
      expect(
        (await admin`select livekit_room_status from public.tours where id = ${t.tourId}`)[0]!.livekit_room_status,
      ).toBe("live");
    });

    it("is still taken by the join that opens the room, by the guide making an open room live, and after a finished room", async () => {
      const t = await createTour(admin, { listeners: 1 });
      const guide = { kind: "user", id: t.guide } as const;
      const listener = { kind: "user", id: t.listeners[0]! } as const;
      expect((await whileRowLocked(t.tourId, (sql) => join_(listener, t.tourId, sql))).code).toBe("55P03");
      await join_(listener, t.tourId);
      expect((await whileRowLocked(t.tourId, (sql) => join_(guide, t.tourId, sql))).code).toBe("55P03");
      const live = await join_(guide, t.tourId);
      await admin`update public.livekit_rooms set status = 'finished' where room_id = ${live.room_name}`;
      expect((await whileRowLocked(t.tourId, (sql) => join_(listener, t.tourId, sql))).code).toBe("55P03");
    });

    it("keeps every refusal on the path without the lock", async () => {
      const t = await createTour(admin, { listeners: 1 });
      await join_({ kind: "user", id: t.guide }, t.tourId);
      const outsider = await whileRowLocked(t.tourId, (sql) => join_({ kind: "user", id: t.outsider }, t.tourId, sql));
      expect(outsider.code).toBe("RT403");
      // The tour ends (its end moved into the past) while its room is live: no more joins.
      await admin`update public.tours set starts_at = now() - interval '5 hours', ends_at = now() - interval '2 hours' where id = ${t.tourId}`;
      expect(await errorCode(join_({ kind: "user", id: t.listeners[0]! }, t.tourId))).toBe("RT410");
    });
  });

  it("opens a fresh room when the previous one has finished", async () => {
    const t = await createTour(admin);
    const first = await join_({ kind: "user", id: t.guide }, t.tourId);
    await admin`update public.livekit_rooms set status = 'finished' where room_id = ${first.room_name}`;
    const second = await join_({ kind: "user", id: t.guide }, t.tourId);
    expect(second.room_name).toBe(`tour-${t.tourId}-2`);
  });
});
