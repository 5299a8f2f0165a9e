// The smoke run: the e2e tour's flow, against a deployed stack, through the
// app's own doors. Users sign in with supabase-js, get their tokens from the
// livekit-token function, join the stack's LiveKit server, and the guide's
// marker signal is timed at every listener. Each step becomes a check; a step
// the rest depends on stops the run, and whatever was joined is left.
import {
  AudioSource,
  DisconnectReason,
  LocalAudioTrack,
  type Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";
import type { SupabaseClient } from "@supabase/supabase-js";
import { RoomServiceClient } from "livekit-server-sdk";
import type { SmokeTarget, SmokeUsers } from "./inputs";
import { livekitHttpUrl } from "./inputs";
import { audioChecks, type SmokeCheck, type SmokeFigures } from "./report";
import { codeOf, requestToken, type SmokeOptions, SmokeSession } from "./session";
import { measureTour } from "../../tour/measure";
import { leaveRooms } from "../../tour/rooms";
import { sleep, withTimeout } from "../../tour/time";
import { listen, type ListenerEar, nowMs, publishGuideSignal } from "../../tour/audio";

export type { SmokeOptions } from "./session";

export interface SmokeResult {
  readonly checks: SmokeCheck[];
  readonly figures?: SmokeFigures;
}

interface SignedIn {
  readonly guide: SupabaseClient;
  readonly listeners: SupabaseClient[];
}

interface JoinedListener {
  readonly email: string;
  readonly client: SupabaseClient;
  readonly room: Room;
  readonly ear: ListenerEar;
}

/** Sign-in: the guide and every listener, through supabase-js. */
function signInEveryone(s: SmokeSession, emails: readonly string[]): Promise<SignedIn> {
  return s.required("the guide and listeners sign in with supabase-js", async () => {
    // Every user is tried, so one run names every account that needs fixing.
    const results = await Promise.allSettled([s.users.guideEmail, ...emails].map((e) => s.signIn(e)));
    const failures = results.flatMap((r) =>
      r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
    );
    if (failures.length) throw new Error(failures.join("; "));
    const [guide, ...listeners] = results.map((r) => (r as PromiseFulfilledResult<SupabaseClient>).value);
    return { value: { guide: guide!, listeners }, detail: `${1 + listeners.length} users` };
  });
}

/** The run ends the tour's room: refuse a tour that is not marked for smoke runs. */
function checkTourIsForSmoke(s: SmokeSession, guide: SupabaseClient): Promise<void> {
  const { tourId, guideEmail } = s.users;
  return s.required("the tour is set aside for smoke runs", async () => {
    const { data, error } = await guide.from("tours").select("title").eq("id", tourId);
    if (error) throw new Error(`reading the tour as its guide: ${error.message}`);
    const title = data?.[0]?.title as string | undefined;
    if (title === undefined) throw new Error(`the guide cannot see tour ${tourId}: is ${guideEmail} its guide?`);
    if (!/smoke/i.test(title))
      throw new Error(
        `tour ${tourId} is titled ${JSON.stringify(title)}; the smoke run ends its room, so it only runs on a tour whose title contains "smoke"`,
      );
    return { value: undefined, detail: JSON.stringify(title) };
  });
}

/** Tokens: the function refuses a caller who is not signed in, and one who is not on the tour. */
async function checkTokenRefusals(s: SmokeSession): Promise<void> {
  await s.optional("the token function refuses a request without a signed-in user", async () => {
    const answer = await requestToken(s.client(), s.users.tourId);
    if (answer.status !== 401) throw new Error(`expected HTTP 401, got ${answer.status} ${codeOf(answer)}`);
    return { detail: `401 ${codeOf(answer)}` };
  });
  const outsider = s.users.outsiderEmail;
  if (outsider) {
    await s.optional("the token function refuses a user who is not on the tour", async () => {
      const answer = await requestToken(await s.signIn(outsider), s.users.tourId);
      if (answer.status !== 403) throw new Error(`expected HTTP 403, got ${answer.status} ${codeOf(answer)}`);
      return { detail: `403 ${codeOf(answer)}` };
    });
  }
}

/** Join: the guide's token is for this stack's LiveKit, and the guide publishes the marker signal. */
function joinGuide(s: SmokeSession, guide: SupabaseClient): Promise<string> {
  return s.required("the guide gets a token and publishes audio", async () => {
    const answer = await requestToken(guide, s.users.tourId);
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status} ${codeOf(answer)}`);
    if (answer.body.role !== "guide") throw new Error(`the function gave role ${answer.body.role}, not guide`);
    if (answer.body.url !== s.target.livekitUrl)
      throw new Error(`the token is for ${answer.body.url}, but the stack's livekitUrl is ${s.target.livekitUrl}`);
    const room = await s.connect(answer.body.url, answer.body.token, false);
    s.signal = await publishGuideSignal(room);
    return { value: answer.body.room as string, detail: `room ${answer.body.room}` };
  });
}

/** Join: every listener at once, timing the token and the join; then each must hear the guide. */
async function joinListeners(
  s: SmokeSession,
  listeners: readonly SupabaseClient[],
  emails: readonly string[],
): Promise<JoinedListener[]> {
  const joined = await s.required(`${emails.length} listeners get tokens and join at once`, async () => {
    const value = await Promise.all(
      listeners.map(async (c, i) => {
        const t = await s.listenerToken(c, emails[i]!);
        const t1 = performance.now();
        const room = await s.connect(t.url, t.token, true);
        s.figures.tokenMs.push(t.ms);
        s.figures.joinMs.push(performance.now() - t1);
        return { email: emails[i]!, client: c, room, ear: listen(room) };
      }),
    );
    return { value, detail: `${value.length} joined` };
  });
  await s.required("every listener hears the guide", async () => {
    await Promise.all(joined.map((l) => withTimeout(s.waitMs, `${l.email} hearing the guide`, l.ear.firstMarker())));
    return { value: undefined, detail: "" };
  });
  return joined;
}

/** Measure: latency and loss of the guide's markers at every listener, judged by the thresholds. */
async function measureAudio(s: SmokeSession, joined: readonly JoinedListener[]): Promise<void> {
  const from = nowMs();
  s.log(`… measuring audio for ${s.options.measureMs / 1000} s`);
  await sleep(s.options.measureMs);
  const to = nowMs() - 600;
  const tour = measureTour({ markers: s.signal!.markers, ears: joined.map((l) => l.ear.onsets), window: { from, to } });
  s.figures.latencyMs.push(...tour.latenciesMs);
  s.figures.markersExpected += tour.markersExpected;
  s.figures.markersHeard += tour.markersHeard;
  s.measured = true;
  s.checks.push(...audioChecks(s.figures, s.options.thresholds));
}

/** Refusals: LiveKit does not let a listener publish. */
function checkPublishRefused(s: SmokeSession, listener: JoinedListener): Promise<void> {
  return s.optional("the LiveKit server refuses a listener's attempt to publish", async () => {
    const source = new AudioSource(48_000, 1);
    const track = LocalAudioTrack.createAudioTrack("smoke-not-allowed", source);
    try {
      const published = await withTimeout(
        15_000,
        "the publish attempt",
        listener.room
          .localParticipant!.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }))
          .then(
            () => true,
            () => false,
          ),
      );
      if (published) throw new Error("the listener's track was published");
    } finally {
      await source.close();
    }
    return { detail: "refused" };
  });
}

/** Rejoin: a new token and connection replace the stale one, and the listener hears the guide again. */
function checkRejoin(s: SmokeSession, old: JoinedListener): Promise<void> {
  return s.optional(
    "a listener whose connection is cut rejoins with a new token and hears the guide again",
    async () => {
      const kicked = new Promise<DisconnectReason | undefined>((resolve) =>
        old.room.once(RoomEvent.Disconnected, resolve),
      );
      old.ear.close();
      const t = await s.listenerToken(old.client, old.email);
      const t1 = performance.now();
      const room = await s.connect(t.url, t.token, true);
      const rejoinMs = t.ms + (performance.now() - t1);
      s.figures.rejoinMs = rejoinMs;
      const ear: ListenerEar = listen(room);
      const reason = await withTimeout(15_000, "the stale connection being dropped", kicked);
      if (reason !== DisconnectReason.DUPLICATE_IDENTITY)
        throw new Error(`the old connection ended with reason ${reason}, not DUPLICATE_IDENTITY`);
      await withTimeout(s.waitMs, "the rejoined listener hearing the guide", ear.firstMarker());
      return { detail: `${rejoinMs.toFixed(0)} ms` };
    },
  );
}

/** Webhook: ending the room reaches the database through LiveKit's webhook. */
function checkWebhookFinishesRoom(s: SmokeSession, guide: SupabaseClient, roomName: string): Promise<void> {
  return s.optional("ending the room marks it finished in the database (LiveKit webhook)", async () => {
    await s.signal!.stop();
    s.signal = undefined;
    const { livekitUrl, apiKey, apiSecret } = s.target;
    await new RoomServiceClient(livekitHttpUrl(livekitUrl), apiKey, apiSecret).deleteRoom(roomName);
    const deadline = Date.now() + s.waitMs;
    let last = "no row visible to the guide";
    while (Date.now() < deadline) {
      const { data, error } = await guide
        .from("livekit_rooms")
        .select("status, listener_count")
        .eq("room_id", roomName);
      if (error) last = error.message;
      else if (data?.[0]) {
        last = `status ${data[0].status}`;
        if (data[0].status === "finished") return { detail: "finished" };
      }
      await sleep(500);
    }
    throw new Error(`${last} after ${s.waitMs / 1000} s`);
  });
}

export async function runSmoke(target: SmokeTarget, users: SmokeUsers, options: SmokeOptions): Promise<SmokeResult> {
  const s = new SmokeSession(target, users, options);
  try {
    const emails = users.listenerEmails.slice(0, options.listeners);
    s.figures.listeners = emails.length;
    const { guide, listeners } = await signInEveryone(s, emails);
    await checkTourIsForSmoke(s, guide);
    await checkTokenRefusals(s);
    const roomName = await joinGuide(s, guide);
    const joined = await joinListeners(s, listeners, emails);
    await measureAudio(s, joined);
    await checkPublishRefused(s, joined[0]!);
    await checkRejoin(s, joined[0]!);
    await checkWebhookFinishesRoom(s, guide, roomName);
  } catch (error) {
    s.recordUnexpected(error);
  } finally {
    await s.signal?.stop().catch(() => {});
    await leaveRooms(s.rooms);
  }
  return { checks: s.checks, figures: s.measured || s.figures.joinMs.length ? s.figures : undefined };
}
