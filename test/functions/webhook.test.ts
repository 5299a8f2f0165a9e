// functions/livekit-webhook through its real Deno entry point: signed events
// update the rooms; unsigned, forged, tampered and replayed ones change nothing.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../../local/database";
import type { RunningFunction } from "../../local/edgeFunctions";
import type { TourFixture } from "../../local/roles";
import { postWebhook, signWebhook, startWebhookFixture } from "../support/livekitWebhook";

const KEY = "APIwebhookTest";
const SECRET = "webhook-test-secret-0123456789abcdefghijkl";
let eventSeq = 0;
let clock = Math.floor(Date.now() / 1000);

interface EventInit {
  event: string;
  room: string;
  identity?: string;
  id?: string;
  createdAt?: number;
}

function eventBody(e: EventInit): string {
  return JSON.stringify({
    event: e.event,
    id: e.id ?? `EV_test_${++eventSeq}`,
    createdAt: String(e.createdAt ?? ++clock),
    room: { sid: "RM_test", name: e.room },
    ...(e.identity ? { participant: { sid: `PA_${e.identity.slice(0, 8)}`, identity: e.identity } } : {}),
  });
}

/** LiveKit's webhook signature: a JWT signed with the API secret carrying the body's sha256. */
const sign = (body: string, key = KEY, secret = SECRET) => signWebhook(body, key, secret);

describe("livekit-webhook", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let fn: RunningFunction;
  let tour: TourFixture;
  let room: string;

  const post = (body: string, authorization?: string) => postWebhook(fn.url, body, authorization);
  const deliver = async (e: EventInit) => {
    const body = eventBody(e);
    return post(body, await sign(body));
  };
  const state = async () => {
    const [r] = await admin`select r.status, r.listener_count, r.started_at, r.finished_at, t.livekit_room_status
      from public.livekit_rooms r join public.tours t on t.id = r.tour_id where r.room_id = ${room}`;
    return r!;
  };

  beforeAll(async () => {
    ({ db, admin, tour, room, fn } = await startWebhookFixture({
      key: KEY,
      secret: SECRET,
      listeners: 3,
      label: "hook",
    }));
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    await db?.stop();
  });

  it("room_started marks when the room started", async () => {
    const res = await deliver({ event: "room_started", room });
    expect(res).toEqual({ status: 200, body: { result: "applied" } });
    expect((await state()).started_at).toBeInstanceOf(Date);
  });

  it("counts listeners as they join and leave, not the guide", async () => {
    await deliver({ event: "participant_joined", room, identity: tour.guide });
    await deliver({ event: "participant_joined", room, identity: tour.listeners[0]! });
    await deliver({ event: "participant_joined", room, identity: tour.listeners[1]! });
    expect((await state()).listener_count).toBe(2);
    await deliver({ event: "participant_left", room, identity: tour.listeners[1]! });
    expect((await state()).listener_count).toBe(1);
  });

  it("a redelivered event changes nothing the second time", async () => {
    const body = eventBody({ event: "participant_joined", room, identity: tour.listeners[2]!, id: "EV_redelivered" });
    const auth = await sign(body);
    expect((await post(body, auth)).body.result).toBe("applied");
    const after = (await state()).listener_count;
    const again = await post(body, auth);
    expect(again).toEqual({ status: 200, body: { result: "duplicate" } });
    expect((await state()).listener_count).toBe(after);
  });

  it("a leave delivered before its join leaves the listener gone", async () => {
    const identity = tour.listeners[1]!;
    const joinedAt = ++clock;
    const leftAt = ++clock;
    await deliver({ event: "participant_left", room, identity, createdAt: leftAt });
    const before = (await state()).listener_count;
    await deliver({ event: "participant_joined", room, identity, createdAt: joinedAt });
    expect((await state()).listener_count).toBe(before);
  });

  it("refuses unsigned, forged and tampered calls, and writes nothing", async () => {
    const [{ n: eventsBefore }] = (await admin`select count(*)::int as n from private.livekit_webhook_events`) as any;
    const snapshot = await state();
    const body = eventBody({ event: "room_finished", room });
    const unsigned = await post(body);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe("missing_signature");
    const forged = await post(body, await sign(body, KEY, "another-secret-0123456789abcdefghijklmno"));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("invalid_signature");
    const otherBody = eventBody({ event: "room_started", room });
    const tampered = await post(body, await sign(otherBody));
    expect(tampered.status).toBe(401);
    const bearer = await post(body, `Bearer ${await sign(body, "APIother", "x".repeat(40))}`);
    expect(bearer.status).toBe(401);
    const [{ n: eventsAfter }] = (await admin`select count(*)::int as n from private.livekit_webhook_events`) as any;
    expect(eventsAfter).toBe(eventsBefore);
    expect(await state()).toEqual(snapshot);
  });

  it("ignores events about rooms Roamcast did not create, and event types it does not use", async () => {
    expect((await deliver({ event: "room_started", room: "someone-elses-room" })).body.result).toBe("ignored");
    expect((await deliver({ event: "track_published", room })).body.result).toBe("ignored");
  });

  it("refuses a GET and an oversized body", async () => {
    const get = await fetch(fn.url);
    expect(get.status).toBe(405);
    const big = JSON.stringify({ event: "room_started", pad: "x".repeat(70_000) });
    expect((await post(big, await sign(big))).status).toBe(413);
  });

  it("room_finished closes the room and the tour's status, and a replay of it changes nothing", async () => {
    const body = eventBody({ event: "room_finished", room });
    const auth = await sign(body);
    expect((await post(body, auth)).body.result).toBe("applied");
    const closed = await state();
    expect(closed).toMatchObject({ status: "finished", listener_count: 0, livekit_room_status: "finished" });
    expect((await post(body, auth)).body.result).toBe("duplicate");
    expect(await state()).toEqual(closed);
  });

  it("never logs the API secret or a signature", () => {
    expect(fn.output()).toContain('"fn":"livekit-webhook"');
    expect(fn.output()).not.toContain(SECRET);
    expect(fn.output()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
