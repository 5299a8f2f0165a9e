// The smoke run: the e2e tour's flow, against a deployed stack, through the
// app's own doors. Users sign in with supabase-js, get their tokens from the
// livekit-token function, join the stack's LiveKit server, and the guide's
// marker signal is timed at every listener. Each step becomes a check; a step
// the rest depends on stops the run, and whatever was joined is left.
import {
  AudioSource,
  DisconnectReason,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";
import { createClient, FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import { RoomServiceClient } from "livekit-server-sdk";
import type { SmokeTarget, SmokeUsers } from "./inputs";
import { livekitHttpUrl } from "./inputs";
import { audioChecks, type SmokeCheck, type SmokeFigures, type SmokeThresholds } from "./report";
import { measureTour } from "../../tour/measure";
import { leaveRooms } from "../../tour/rooms";
import { sleep, withTimeout } from "../../tour/time";
import { type GuideSignal, listen, type ListenerEar, nowMs, publishGuideSignal } from "../../tour/audio";

export interface SmokeOptions {
  readonly listeners: number;
  readonly measureMs: number;
  readonly thresholds: SmokeThresholds;
  /** How long a listener may take to hear the guide, and the webhook to finish the room. */
  readonly waitMs?: number;
  readonly log?: (line: string) => void;
}

export interface SmokeResult {
  readonly checks: SmokeCheck[];
  readonly figures?: SmokeFigures;
}

/** A failed step that the rest of the run depends on. */
class StepFailed extends Error {}

interface TokenAnswer {
  status: number;
  body: any;
}

/** Calls the token function as the app does; returns the HTTP status and body either way. */
async function requestToken(client: SupabaseClient, tourId: string): Promise<TokenAnswer> {
  const { data, error } = await client.functions.invoke("livekit-token", { body: { tour_id: tourId } });
  if (!error) return { status: 200, body: data };
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }
  throw error;
}

const codeOf = (answer: TokenAnswer) => (answer.body?.error?.code as string | undefined) ?? "no error code";

export async function runSmoke(target: SmokeTarget, users: SmokeUsers, options: SmokeOptions): Promise<SmokeResult> {
  const log = options.log ?? (() => {});
  const waitMs = options.waitMs ?? 30_000;
  const checks: SmokeCheck[] = [];
  const rooms: Room[] = [];
  let signal: GuideSignal | undefined;
  const figures = {
    listeners: 0,
    tokenMs: [] as number[],
    joinMs: [] as number[],
    latencyMs: [] as number[],
    markersExpected: 0,
    markersHeard: 0,
    rejoinMs: undefined as number | undefined,
  };
  let measured = false;

  const step = async <T>(
    name: string,
    run: () => Promise<{ value: T; detail: string }>,
    required = true,
  ): Promise<T | undefined> => {
    log(`… ${name}`);
    try {
      const { value, detail } = await run();
      checks.push({ name, ok: true, detail });
      return value;
    } catch (error) {
      checks.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
      if (required) throw new StepFailed(name);
      return undefined;
    }
  };
  const client = () =>
    createClient(target.supabaseUrl, users.supabaseKey, { auth: { persistSession: false, autoRefreshToken: false } });
  const signIn = async (email: string) => {
    const c = client();
    const { error } = await c.auth.signInWithPassword({ email, password: users.password });
    if (error) throw new Error(`${email}: ${error.message}`);
    return c;
  };
  const connect = async (url: string, token: string, autoSubscribe: boolean) => {
    const room = new Room();
    rooms.push(room);
    await room.connect(url, token, { autoSubscribe, dynacast: false });
    return room;
  };
  const listenerToken = async (c: SupabaseClient, who: string) => {
    const t0 = performance.now();
    const answer = await requestToken(c, users.tourId);
    if (answer.status !== 200) throw new Error(`${who}: HTTP ${answer.status} ${codeOf(answer)}`);
    if (answer.body.role !== "listener")
      throw new Error(`${who}: the function gave role ${answer.body.role}, not listener`);
    return { url: answer.body.url as string, token: answer.body.token as string, ms: performance.now() - t0 };
  };

  try {
    const emails = users.listenerEmails.slice(0, options.listeners);
    figures.listeners = emails.length;
    const signedIn = await step("the guide and listeners sign in with supabase-js", async () => {
      // Every user is tried, so one run names every account that needs fixing.
      const results = await Promise.allSettled([users.guideEmail, ...emails].map(signIn));
      const failures = results.flatMap((r) =>
        r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
      );
      if (failures.length) throw new Error(failures.join("; "));
      const [guide, ...listeners] = results.map((r) => (r as PromiseFulfilledResult<SupabaseClient>).value);
      return { value: { guide: guide!, listeners }, detail: `${1 + listeners.length} users` };
    });
    const { guide, listeners } = signedIn!;

    // The run ends the tour's room: refuse a tour that is not marked for smoke runs.
    await step("the tour is set aside for smoke runs", async () => {
      const { data, error } = await guide.from("tours").select("title").eq("id", users.tourId);
      if (error) throw new Error(`reading the tour as its guide: ${error.message}`);
      const title = data?.[0]?.title as string | undefined;
      if (title === undefined)
        throw new Error(`the guide cannot see tour ${users.tourId}: is ${users.guideEmail} its guide?`);
      if (!/smoke/i.test(title))
        throw new Error(
          `tour ${users.tourId} is titled ${JSON.stringify(title)}; the smoke run ends its room, so it only runs on a tour whose title contains "smoke"`,
        );
      return { value: undefined, detail: JSON.stringify(title) };
    });

    await step(
      "the token function refuses a request without a signed-in user",
      async () => {
        const answer = await requestToken(client(), users.tourId);
        if (answer.status !== 401) throw new Error(`expected HTTP 401, got ${answer.status} ${codeOf(answer)}`);
        return { value: undefined, detail: `401 ${codeOf(answer)}` };
      },
      false,
    );
    if (users.outsiderEmail) {
      await step(
        "the token function refuses a user who is not on the tour",
        async () => {
          const answer = await requestToken(await signIn(users.outsiderEmail!), users.tourId);
          if (answer.status !== 403) throw new Error(`expected HTTP 403, got ${answer.status} ${codeOf(answer)}`);
          return { value: undefined, detail: `403 ${codeOf(answer)}` };
        },
        false,
      );
    }

    const guideJoin = await step("the guide gets a token and publishes audio", async () => {
      const answer = await requestToken(guide, users.tourId);
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status} ${codeOf(answer)}`);
      if (answer.body.role !== "guide") throw new Error(`the function gave role ${answer.body.role}, not guide`);
      if (answer.body.url !== target.livekitUrl)
        throw new Error(`the token is for ${answer.body.url}, but the stack's livekitUrl is ${target.livekitUrl}`);
      const room = await connect(answer.body.url, answer.body.token, false);
      signal = await publishGuideSignal(room);
      return { value: { room: answer.body.room as string }, detail: `room ${answer.body.room}` };
    });
    const roomName = guideJoin!.room;

    const ears = await step(`${emails.length} listeners get tokens and join at once`, async () => {
      const joined = await Promise.all(
        listeners.map(async (c, i) => {
          const t = await listenerToken(c, emails[i]!);
          const t1 = performance.now();
          const room = await connect(t.url, t.token, true);
          figures.tokenMs.push(t.ms);
          figures.joinMs.push(performance.now() - t1);
          return { email: emails[i]!, client: c, room, ear: listen(room) };
        }),
      );
      return { value: joined, detail: `${joined.length} joined` };
    });

    await step("every listener hears the guide", async () => {
      await Promise.all(ears!.map((l) => withTimeout(waitMs, `${l.email} hearing the guide`, l.ear.firstMarker())));
      return { value: undefined, detail: "" };
    });

    const from = nowMs();
    log(`… measuring audio for ${options.measureMs / 1000} s`);
    await sleep(options.measureMs);
    const to = nowMs() - 600;
    const tour = measureTour({ markers: signal!.markers, ears: ears!.map((l) => l.ear.onsets), window: { from, to } });
    figures.latencyMs.push(...tour.latenciesMs);
    figures.markersExpected += tour.markersExpected;
    figures.markersHeard += tour.markersHeard;
    measured = true;
    checks.push(...audioChecks(figures, options.thresholds));

    await step(
      "the LiveKit server refuses a listener's attempt to publish",
      async () => {
        const source = new AudioSource(48_000, 1);
        const track = LocalAudioTrack.createAudioTrack("smoke-not-allowed", source);
        try {
          const published = await withTimeout(
            15_000,
            "the publish attempt",
            ears![0]!.room
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
        return { value: undefined, detail: "refused" };
      },
      false,
    );

    await step(
      "a listener whose connection is cut rejoins with a new token and hears the guide again",
      async () => {
        const old = ears![0]!;
        const kicked = new Promise<DisconnectReason | undefined>((resolve) =>
          old.room.once(RoomEvent.Disconnected, resolve),
        );
        old.ear.close();
        const t = await listenerToken(old.client, old.email);
        const t1 = performance.now();
        const room = await connect(t.url, t.token, true);
        figures.rejoinMs = t.ms + (performance.now() - t1);
        const ear: ListenerEar = listen(room);
        const reason = await withTimeout(15_000, "the stale connection being dropped", kicked);
        if (reason !== DisconnectReason.DUPLICATE_IDENTITY)
          throw new Error(`the old connection ended with reason ${reason}, not DUPLICATE_IDENTITY`);
        await withTimeout(waitMs, "the rejoined listener hearing the guide", ear.firstMarker());
        return { value: undefined, detail: `${figures.rejoinMs.toFixed(0)} ms` };
      },
      false,
    );

    await step(
      "ending the room marks it finished in the database (LiveKit webhook)",
      async () => {
        await signal!.stop();
        signal = undefined;
        await new RoomServiceClient(livekitHttpUrl(target.livekitUrl), target.apiKey, target.apiSecret).deleteRoom(
          roomName,
        );
        const deadline = Date.now() + waitMs;
        let last = "no row visible to the guide";
        while (Date.now() < deadline) {
          const { data, error } = await guide
            .from("livekit_rooms")
            .select("status, listener_count")
            .eq("room_id", roomName);
          if (error) last = error.message;
          else if (data?.[0]) {
            last = `status ${data[0].status}`;
            if (data[0].status === "finished") return { value: undefined, detail: "finished" };
          }
          await sleep(500);
        }
        throw new Error(`${last} after ${waitMs / 1000} s`);
      },
      false,
    );
  } catch (error) {
    if (!(error instanceof StepFailed))
      checks.push({ name: "the smoke run", ok: false, detail: error instanceof Error ? error.message : String(error) });
  } finally {
    await signal?.stop().catch(() => {});
    await leaveRooms(rooms);
  }
  return { checks, figures: measured || figures.joinMs.length ? figures : undefined };
}
