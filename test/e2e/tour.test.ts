// A real tour on the local platform: a guide and 30 listeners, real WebRTC
// clients (@livekit/rtc-node), tokens from the token function, audio through
// livekit-server, room state through the webhook function into PostgreSQL.
import {
  AudioSource,
  DisconnectReason,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";
import { RoomServiceClient } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPlatform, startLocalPlatform } from "../../local/platform";
import { waitFor } from "../../local/processes";
import { createTour, type TourFixture } from "../../local/roles";
import { listen, type ListenerEar, MARKER_EVERY_MS, nowMs } from "../../tour/audio";
import { measureTour } from "../../tour/measure";
import { percentile } from "../../tour/stats";
import { type ProbePhones, startProbePhones } from "../../tour/probes";
import { disposeClients, leaveRooms } from "../../tour/rooms";

const LISTENERS = 30;
const MEASURE_MS = 10_000;
/**
 * Listeners that time the guide's markers. They and the guide run in their
 * own process (tour/probes.ts): the other listeners' work in this one
 * must not delay a marker or its onset, or the harness is what gets measured.
 */
const PROBES = 5;
const roomOptions = { autoSubscribe: true, dynacast: false };

interface Listener {
  id: string;
  room: Room;
  ear: ListenerEar;
  tokenMs: number;
  joinMs: number;
}

describe(`a tour with a guide and ${LISTENERS} listeners`, () => {
  let platform: LocalPlatform;
  let tour: TourFixture;
  let phones: ProbePhones;
  let guideIdentity: string;
  let roomName: string;
  let probeIds: string[];
  /** The listeners in this process (all but the probes). */
  const listeners: Listener[] = [];
  const report: Record<string, string | number> = {};

  async function listenerToken(userId: string) {
    const t0 = performance.now();
    const res = await platform.requestToken(userId, tour.tourId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.role).toBe("listener");
    return { url: res.body.url as string, token: res.body.token as string, tokenMs: performance.now() - t0 };
  }

  async function join(userId: string): Promise<Listener> {
    const { url, token, tokenMs } = await listenerToken(userId);
    const t1 = performance.now();
    const room = new Room();
    await room.connect(url, token, roomOptions);
    const ear = listen(room);
    return { id: userId, room, ear, tokenMs, joinMs: performance.now() - t1 };
  }

  async function joinProbe(userId: string): Promise<{ tokenMs: number; joinMs: number }> {
    const { url, token, tokenMs } = await listenerToken(userId);
    return { tokenMs, joinMs: await phones.listen(userId, url, token) };
  }

  beforeAll(async () => {
    platform = await startLocalPlatform();
    tour = await createTour(platform.admin, { listeners: LISTENERS, label: "e2e" });
    probeIds = tour.listeners.slice(-PROBES);
    const guide = await platform.requestToken(tour.guide, tour.tourId);
    expect(guide.status).toBe(200);
    expect(guide.body.role).toBe("guide");
    roomName = guide.body.room;
    phones = startProbePhones();
    guideIdentity = await phones.guide(guide.body.url, guide.body.token);
  }, 180_000);

  afterAll(async () => {
    try {
      await phones?.stop().catch(() => {});
      // Teardown is the harness's business, bounded so it cannot hang the run
      // (tour/rooms.ts says why); the tour's assertions are done by now.
      const unanswered = await leaveRooms(listeners.map((l) => l.room));
      if (unanswered) console.warn(`${unanswered} listener rooms did not answer disconnect in time`);
      if (!(await disposeClients())) console.warn("rtc-node did not finish disposing in time");
    } finally {
      await platform?.stop();
    }
    if (Object.keys(report).length)
      console.log(
        `\ne2e tour report\n${Object.entries(report)
          .map(([k, v]) => `  ${k}: ${v}`)
          .join("\n")}\n`,
      );
  });

  it("refuses an outsider at the token function", async () => {
    const res = await platform.requestToken(tour.outsider, tour.tourId);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("not_on_tour");
  });

  it(`lets all ${LISTENERS} listeners get a token and join at once`, async () => {
    const crowd = tour.listeners.filter((id) => !probeIds.includes(id));
    const [joined, probes] = await Promise.all([
      Promise.all(crowd.map((id) => join(id))),
      Promise.all(probeIds.map((id) => joinProbe(id))),
    ]);
    listeners.push(...joined);
    const all = [...joined, ...probes];
    expect(all).toHaveLength(LISTENERS);
    const tokenMs = all.map((l) => l.tokenMs);
    const joinMs = all.map((l) => l.joinMs);
    report["token request ms (p50/p95)"] =
      `${percentile(tokenMs, 50).toFixed(0)} / ${percentile(tokenMs, 95).toFixed(0)}`;
    report["join ms (p50/p95)"] = `${percentile(joinMs, 50).toFixed(0)} / ${percentile(joinMs, 95).toFixed(0)}`;
  });

  it("every listener hears the guide", async () => {
    await Promise.all([
      ...listeners.map((l) =>
        Promise.race([
          l.ear.firstMarker(),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`listener ${l.id} heard nothing in 30 s`)), 30_000),
          ),
        ]),
      ),
      ...probeIds.map((id) => phones.firstOnset(id, 30_000)),
    ]);
    // Each has decoded the guide's marker. From here on only the probes
    // decode: 30 decoders would measure this 2-core machine, not the platform.
    for (const l of listeners) l.ear.close();
  });

  it("carries the guide's audio to every listener with low latency and little loss", async () => {
    const from = nowMs();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const to = nowMs() - 600;
    // The guide's own signal kept time (the harness, not the platform, would be at fault otherwise).
    expect(phones.markersBetween(from, to)).toBeGreaterThanOrEqual(0.8 * ((to - from) / MARKER_EVERY_MS));
    const tour = measureTour({
      markers: phones.markers,
      ears: probeIds.map((id) => phones.onsets(id)),
      window: { from, to },
    });
    report["audio latency ms (p50/p95)"] = `${tour.latencyP50Ms.toFixed(1)} / ${tour.latencyP95Ms.toFixed(1)}`;
    report["markers heard by the probes"] =
      `${tour.markersHeard} of ${tour.markersExpected} (loss ${(100 * tour.lossRatio).toFixed(2)} %)`;
    for (const r of tour.perListener) expect(r.heard).toBeGreaterThan(0);
    expect(tour.latencyP95Ms).toBeLessThan(200);
    expect(tour.lossRatio).toBeLessThan(0.02);
  });

  it("counts the listeners in the database through LiveKit's webhooks", async () => {
    const count = await waitFor(
      "listener_count to reach the listeners",
      async () => {
        const [row] = await platform.admin`select listener_count from public.livekit_rooms where room_id = ${roomName}`;
        return row?.listener_count === LISTENERS ? row.listener_count : undefined;
      },
      20_000,
      250,
    );
    expect(count).toBe(LISTENERS);
    const [tourRow] = await platform.admin`select livekit_room_status from public.tours where id = ${tour.tourId}`;
    expect(tourRow!.livekit_room_status).toBe("live");
  });

  it("refuses a listener's attempt to publish audio, at the LiveKit server", async () => {
    const l = listeners[1]!;
    const source = new AudioSource(48_000, 1);
    const track = LocalAudioTrack.createAudioTrack("sneaky-microphone", source);
    await expect(
      l.room.localParticipant!.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE })),
    ).rejects.toThrow();
    await source.close();
    // The refusal is the server's: it answered the AddTrack request NOT_ALLOWED.
    const refusals = platform.livekit
      .output()
      .split("\n")
      .filter((line) => line.includes("no permission to publish track"));
    expect(refusals.some((line) => line.includes(l.id))).toBe(true);
    // No listener has a track in the room: the guide's is the only one.
    const rooms = new RoomServiceClient(
      platform.livekitHttpUrl,
      platform.model.secrets.apiKey,
      platform.model.secrets.apiSecret,
    );
    const publishers = (await rooms.listParticipants(roomName))
      .filter((p) => p.tracks.length > 0)
      .map((p) => p.identity);
    expect(publishers).toEqual([guideIdentity]);
  });

  it("a listener whose connection is cut rejoins with a new token, same identity, and hears the guide again", async () => {
    const old = listeners[0]!;
    const kicked = new Promise<DisconnectReason | undefined>((resolve) =>
      old.room.once(RoomEvent.Disconnected, resolve),
    );
    // The phone lost its network; the app reconnects with a fresh token. The
    // server drops the stale connection of the same identity.
    const rejoined = await join(old.id);
    expect(await Promise.race([kicked, new Promise((r) => setTimeout(() => r("still connected"), 15_000))])).toBe(
      DisconnectReason.DUPLICATE_IDENTITY,
    );
    old.ear.close();
    const firstAgain = await Promise.race([
      rejoined.ear.firstMarker(),
      new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error("the rejoined listener heard nothing")), 20_000),
      ),
    ]);
    expect(firstAgain).toBeGreaterThan(0);
    listeners[0] = rejoined;
    report["rejoin: token + join ms"] = `${(rejoined.tokenMs + rejoined.joinMs).toFixed(0)}`;
  });

  it("when the tour ends, the webhook marks the room finished in the database", async () => {
    await phones.stop();
    const rooms = new RoomServiceClient(
      platform.livekitHttpUrl,
      platform.model.secrets.apiKey,
      platform.model.secrets.apiSecret,
    );
    await rooms.deleteRoom(roomName);
    const row = await waitFor(
      "the room to be finished",
      async () => {
        const [r] = await platform.admin`
        select r.status, r.listener_count, r.finished_at, t.livekit_room_status
          from public.livekit_rooms r join public.tours t on t.id = r.tour_id where r.room_id = ${roomName}`;
        return r?.status === "finished" ? r : undefined;
      },
      20_000,
      250,
    );
    expect(row).toMatchObject({ status: "finished", listener_count: 0, livekit_room_status: "finished" });
    expect(row.finished_at).toBeInstanceOf(Date);
  });
});
