// functions/livekit-webhook with correctly signed bodies that are not events
// LiveKit would send. A 5xx makes LiveKit deliver the same body again, so bad
// input is always a 4xx: 400 for a body that is not an event, 422 for an
// event whose values cannot be stored. Only a database outage may be a 5xx.
import fc from "fast-check";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../../local/database";
import type { RunningFunction } from "../../local/edgeFunctions";
import type { TourFixture } from "../../local/roles";
import { postWebhook, signWebhook, startWebhookFixture } from "../support/livekitWebhook";

const KEY = "APIwebhookBadInput";
const SECRET = "webhook-bad-input-secret-0123456789abcdefgh";
const HANDLED = ["room_started", "room_finished", "participant_joined", "participant_left"];
let seq = 0;
const nextId = () => `EV_bad_${++seq}`;
const now = () => String(Math.floor(Date.now() / 1000));

describe("livekit-webhook, signed bad input", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let fn: RunningFunction;
  let tour: TourFixture;
  let room: string;
  let databaseStopped = false;

  const deliver = async (body: string) => postWebhook(fn.url, body, await signWebhook(body, KEY, SECRET));
  const eventsWritten = async () =>
    Number((await admin`select count(*)::int as n from private.livekit_webhook_events`)[0]!.n);

  beforeAll(async () => {
    ({ db, admin, tour, room, fn } = await startWebhookFixture({
      key: KEY,
      secret: SECRET,
      listeners: 1,
      label: "bad",
    }));
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    if (!databaseStopped) await db?.stop();
  });

  const event = (fields: Record<string, unknown>) =>
    JSON.stringify({ event: "room_started", id: nextId(), createdAt: now(), room: { name: room }, ...fields });
  const joinedBy = (identity: unknown) =>
    event({ event: "participant_joined", participant: { sid: "PA_bad", identity } });

  describe("a signed body that is not a LiveKit event is a 400 with its own code", () => {
    const cases: [string, () => string, string, RegExp][] = [
      ["a body that is not JSON", () => "{event:", "invalid_json", /JSON/],
      ["an empty body", () => "", "invalid_json", /JSON/],
      ["JSON null", () => "null", "invalid_event", /event/],
      ["a JSON array", () => "[]", "invalid_event", /event/],
      ["a number for the event type", () => event({ event: 5 }), "invalid_event", /event/],
      ["a number for the event id", () => event({ id: 7 }), "invalid_event", /id/],
      ["a string for the room", () => event({ room: room }), "invalid_event", /room/i],
      ["a number for the room's name", () => event({ room: { name: 42 } }), "invalid_event", /name/],
      ["an object for the identity", () => joinedBy({ a: 1 }), "invalid_event", /identity/],
      ["a createdAt that is not a number", () => event({ createdAt: "yesterday" }), "invalid_event", /created_?at/i],
      ["a createdAt with a fraction", () => event({ createdAt: 1.5 }), "invalid_event", /created_?at/i],
      ["an event without an id", () => event({ id: "" }), "invalid_event", /id/],
      ["an identity that is not well-formed Unicode", () => joinedBy("listener-\ud800"), "invalid_event", /identity/],
    ];
    it.each(cases)("answers %s with a 400, writing nothing", async (_what, body, code, names) => {
      const before = await eventsWritten();
      const res = await deliver(body());
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(names);
      expect(await eventsWritten()).toBe(before);
    });
  });

  describe("a signed event whose values cannot be stored is a 422, so LiveKit does not retry it", () => {
    const random = (n: number) =>
      Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join("");
    const cases: [string, () => string, RegExp][] = [
      [
        "a NUL character in the room's name",
        () => event({ room: { name: `${room}\u0000x` } }),
        /database cannot store .*0x00/,
      ],
      [
        "a NUL character in a participant's identity",
        () => joinedBy(`${tour.listeners[0]}\u0000`),
        /database cannot store .*0x00/,
      ],
      ["a NUL character in the event id", () => event({ id: `EV_\u0000` }), /database cannot store .*0x00/],
      ["an event id too long for an index (3000 characters)", () => event({ id: random(3000) }), /id/],
      ["a room name of 300 characters", () => event({ room: { name: "r".repeat(300) } }), /room\.name/],
      ["a createdAt in the year 10000", () => event({ createdAt: "253402300800" }), /createdAt/],
      ["a createdAt beyond any calendar", () => event({ createdAt: "99999999999999" }), /createdAt/],
      ["a createdAt before 1970", () => event({ createdAt: "-100000000000" }), /createdAt/],
    ];
    it.each(cases)("answers %s with a 422, writing nothing", async (_what, body, names) => {
      const before = await eventsWritten();
      const res = await deliver(body());
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("unprocessable_event");
      expect(res.body.error.message).toMatch(names);
      expect(await eventsWritten()).toBe(before);
    });
  });

  it("answers random signed bodies with a 2xx or a 4xx that has a code, never a 5xx", async () => {
    // Mostly well-typed events, so that most bodies reach the database; now and then any JSON at all.
    const orAnything = <T>(typed: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: typed, weight: 15 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      { arbitrary: fc.constantFrom(room, tour.guide, tour.listeners[0]!, ""), weight: 3 },
      fc.string({ unit: "binary", minLength: 200, maxLength: 3000 }),
      fc.string({ maxLength: 8 }).map((s) => `${room}\u0000${s}`),
    );
    const seconds = fc.oneof(
      fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }).map(String),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
      fc.constantFrom("0", "253402300800", "1e3", "-1", "18446744073709551616"),
    );
    const livekitLike = fc
      .record(
        {
          event: orAnything(fc.constantFrom(...HANDLED, "track_published")),
          id: orAnything(text),
          createdAt: orAnything(seconds),
          room: orAnything(fc.record({ sid: text, name: orAnything(text) }, { requiredKeys: [] })),
          participant: orAnything(fc.record({ identity: orAnything(text) }, { requiredKeys: [] })),
        },
        { requiredKeys: ["event", "id"] },
      )
      .map((e) => JSON.stringify(e));
    const body = fc.oneof(
      { arbitrary: livekitLike, weight: 8 },
      { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
      { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await deliver(b);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.error.code).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 200 },
    );
  });

  it("still applies a good event after all of that", async () => {
    const res = await deliver(event({ event: "participant_joined", participant: { identity: tour.listeners[0]! } }));
    expect(res).toEqual({ status: 200, body: { result: "applied" } });
  });

  it("answers a 503 when the database is down, so that LiveKit delivers the event again", async () => {
    await db.stop();
    databaseStopped = true;
    const res = await deliver(event({ event: "room_finished" }));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("unavailable");
  });
});
