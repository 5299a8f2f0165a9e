// Row-level security, cell by cell: guide, listener, outsider, anon and
// service_role × select, insert, update, delete on every table in public.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { type Actor, asActor, asActorCommitted, createTour, createUser, type TourFixture } from "../../local/roles";

type Outcome = `rows:${number}` | "denied";
type Table = "tours" | "tour_participants" | "livekit_rooms";
type ActorName = "guide" | "listener" | "outsider" | "anon" | "service_role";
type Operation = "select" | "insert" | "update" | "delete";

// Each table's one row of the fixture tour is what the actors try to see and
// change. The three tables share one rule — readable by the tour's own people,
// writable by the service role alone — so one row per actor states it, and
// every cell is still tried on every table.
const readOnly = (select: Outcome) => ({ select, insert: "denied", update: "denied", delete: "denied" }) as const;
const RULE: Record<ActorName, Record<Operation, Outcome>> = {
  guide: readOnly("rows:1"),
  listener: readOnly("rows:1"),
  outsider: readOnly("rows:0"),
  anon: readOnly("denied"),
  service_role: { select: "rows:1", insert: "rows:1", update: "rows:1", delete: "rows:1" },
};
const EXPECTED: Record<Table, Record<ActorName, Record<Operation, Outcome>>> = {
  tours: RULE,
  tour_participants: RULE,
  livekit_rooms: RULE,
};

describe("row-level security", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let tour: TourFixture;
  let otherTour: TourFixture;
  let spareUser: string;
  let actors: Record<ActorName, Actor>;

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
    tour = await createTour(admin, { label: "rls" });
    // A second tour with its own room, which nobody of the first may see.
    otherTour = await createTour(admin, { label: "other" });
    spareUser = await createUser(admin, "spare@test.roamcast");
    actors = {
      guide: { kind: "user", id: tour.guide },
      listener: { kind: "user", id: tour.listeners[0]! },
      outsider: { kind: "user", id: tour.outsider },
      anon: { kind: "anon" },
      service_role: { kind: "service_role" },
    };
    for (const t of [tour, otherTour]) {
      await asActorCommitted(
        admin,
        { kind: "user", id: t.guide },
        (tx) => tx`select * from private.join_tour_room(${t.tourId})`,
      );
    }
  }, 90_000);
  afterAll(async () => db?.stop());

  async function attempt(table: Table, actor: ActorName, op: Operation): Promise<Outcome> {
    try {
      return await asActor(admin, actors[actor], async (tx) => {
        const ofTour = table === "tours" ? tx`id = ${tour.tourId}` : tx`tour_id = ${tour.tourId}`;
        let rows: postgres.RowList<postgres.Row[]>;
        if (op === "select") {
          const all = await tx`select * from ${tx("public." + table)}`;
          const tourOf = (r: postgres.Row) => (table === "tours" ? r.id : r.tour_id);
          // The other tour shows to the service role alone.
          const foreign = all.filter((r) => tourOf(r) === otherTour.tourId);
          expect(foreign.length > 0, `${actor} sees ${table} of another tour`).toBe(actor === "service_role");
          rows = await tx`select * from ${tx("public." + table)} where ${ofTour}`;
        } else if (op === "insert") {
          if (table === "tours")
            rows =
              await tx`insert into public.tours (guide_id, title, starts_at, ends_at) values (${tour.guide}, 'new', now(), now() + interval '1 hour') returning 1`;
          else if (table === "tour_participants")
            rows =
              await tx`insert into public.tour_participants (tour_id, user_id) values (${tour.tourId}, ${spareUser}) returning 1`;
          else
            rows =
              await tx`insert into public.livekit_rooms (tour_id, room_id, status) values (${tour.tourId}, 'forged-room', 'finished') returning 1`;
        } else if (op === "update") {
          const change =
            table === "tours"
              ? tx`title = 'changed'`
              : table === "tour_participants"
                ? tx`created_at = now()`
                : tx`listener_count = 99`;
          rows = await tx`update ${tx("public." + table)} set ${change} where ${ofTour} returning 1`;
        } else {
          rows = await tx`delete from ${tx("public." + table)} where ${ofTour} returning 1`;
        }
        return `rows:${rows.count}` as Outcome;
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      // 42501: permission denied, or a row refused by a policy.
      if (code === "42501") return "denied";
      throw error;
    }
  }

  for (const table of Object.keys(EXPECTED) as Table[]) {
    for (const actor of Object.keys(EXPECTED[table]) as ActorName[]) {
      for (const op of ["select", "insert", "update", "delete"] as const) {
        const expected = EXPECTED[table][actor][op];
        it(`${actor} ${op} on ${table}: ${expected}`, async () => {
          expect(await attempt(table, actor, op)).toBe(expected);
        });
      }
    }
  }

  it("every table in public has row-level security on", async () => {
    const rows =
      await admin`select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`;
    expect(rows.map((r) => [r.relname, r.relrowsecurity])).toEqual([
      ["livekit_rooms", true],
      ["tour_participants", true],
      ["tours", true],
    ]);
  });

  it("a listener sees their own participation, not the other listeners'", async () => {
    const crowd = await createTour(admin, { listeners: 3, label: "crowd" });
    const seen = await asActor(
      admin,
      { kind: "user", id: crowd.listeners[0]! },
      (tx) => tx`select user_id from public.tour_participants`,
    );
    expect(seen.map((r) => r.user_id)).toEqual([crowd.listeners[0]]);
    const guideSees = await asActor(
      admin,
      { kind: "user", id: crowd.guide },
      (tx) => tx`select user_id from public.tour_participants`,
    );
    expect(guideSees.map((r) => r.user_id).sort()).toEqual([...crowd.listeners].sort());
  });
});
