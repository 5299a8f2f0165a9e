// Tours as the bench loads them. Each tour's people are real rows (a tour,
// its guide and listeners, created once and reused by every lever); the guide
// gets its token from the real token function, as the app's guide does. Most
// tours are a Go guide (`loadgen guide`, the lever's publish settings) and a
// Go crowd whose tokens are signed here with the platform's API key (token
// minting has its own benchmark, bench/tokens.ts). A fixed number of sampled
// tours instead have an @livekit/rtc-node guide publishing the marker signal
// and PROBES_PER_TOUR rtc-node probes, on real tokens, that time the audio.
import { Room } from "@livekit/rtc-node";
import { AccessToken } from "livekit-server-sdk";
import { type LocalPlatform } from "../local/platform";
import { createTour, type TourFixture } from "../local/roles";
import { type GuideSignal, listen, type ListenerEar, publishGuideSignal } from "../tour/audio";
import { leaveRooms } from "../tour/rooms";
import { withTimeout } from "../tour/time";
import { type Crowd, type Guides, type Join, startGuides } from "./harness";
import type { Lever } from "./levers";

export const PROBES_PER_TOUR = 3;

/** The database's tours, made on first use and kept for the next lever. */
export function tourPool(platform: LocalPlatform, listenersPerTour: number) {
  const tours: TourFixture[] = [];
  return async (index: number): Promise<TourFixture> => {
    while (tours.length <= index)
      tours.push(await createTour(platform.admin, { listeners: listenersPerTour, label: `bench${tours.length}` }));
    return tours[index]!;
  };
}
export type TourPool = ReturnType<typeof tourPool>;

export interface SampledTour {
  readonly guide: Room;
  readonly signal: GuideSignal;
  readonly probes: Room[];
  readonly ears: ListenerEar[];
  readonly joinMs: number[];
}

/** Where one lever's tours go, and what has joined so far. */
export interface LeverLoad {
  readonly platform: LocalPlatform;
  readonly pool: TourPool;
  readonly lever: Lever;
  readonly livekitUrl: string;
  readonly crowd: Crowd;
  /** The Go guides' process, started with the first Go guide. */
  guides?: Guides;
  readonly sampledTours: number;
  readonly sampled: SampledTour[];
  /** Tours joined so far; crowd listeners and Go guides so far. */
  tours: number;
  crowdJoined: number;
  goGuides: number;
}

async function realToken(platform: LocalPlatform, user: string, tourId: string) {
  const res = await platform.requestToken(user, tourId);
  if (res.status !== 200) throw new Error(`token for ${user}: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.token as string, room: res.body.room as string };
}

/** A listener's token as the token function grants it, signed here. */
export async function listenerToken(platform: LocalPlatform, identity: string, room: string): Promise<string> {
  const { apiKey, apiSecret } = platform.model.secrets;
  const token = new AccessToken(apiKey, apiSecret, { identity, ttl: 4 * 3600 });
  token.addGrant({ room, roomJoin: true, canPublish: false, canPublishData: false, canSubscribe: true });
  return token.toJwt();
}

async function joinSampledTour(load: LeverLoad, tour: TourFixture, guideToken: string): Promise<SampledTour> {
  const guide = new Room();
  await guide.connect(load.livekitUrl, guideToken, { autoSubscribe: false, dynacast: false });
  const signal = await publishGuideSignal(guide, { red: load.lever.guide.red });
  const joinMs: number[] = [];
  const probes = await Promise.all(
    tour.listeners.slice(0, PROBES_PER_TOUR).map(async (id) => {
      const { token } = await realToken(load.platform, id, tour.tourId);
      const t0 = performance.now();
      const room = new Room();
      await room.connect(load.livekitUrl, token, { autoSubscribe: true, dynacast: false });
      joinMs.push(performance.now() - t0);
      return room;
    }),
  );
  const ears = probes.map((room) => listen(room));
  await Promise.all(ears.map((e) => withTimeout(30_000, "a probe hearing the guide", e.firstMarker())));
  return { guide, signal, probes, ears, joinMs };
}

/** A tour whose guide has joined, waiting for its crowd. */
export interface GuidedTour {
  readonly tour: TourFixture;
  readonly room: string;
  readonly sampled: boolean;
}

/** Adds one tour's guide to the lever's server: rtc-node with probes if sampled, else a Go guide. */
export async function joinGuide(load: LeverLoad): Promise<GuidedTour> {
  const index = load.tours;
  const tour = await load.pool(index);
  const guide = await realToken(load.platform, tour.guide, tour.tourId);
  const sampled = index < load.sampledTours;
  if (sampled) load.sampled.push(await joinSampledTour(load, tour, guide.token));
  else {
    load.guides ??= startGuides();
    load.guides.join({ id: tour.guide, url: load.livekitUrl, token: guide.token }, load.lever.guide);
    load.goGuides++;
  }
  load.tours++;
  return { tour, room: guide.room, sampled };
}

/** Sends the tour's crowd (all its listeners but a sampled tour's probes) to the lever's server. */
export async function joinCrowd(load: LeverLoad, guided: GuidedTour): Promise<void> {
  const crowd = guided.sampled ? guided.tour.listeners.slice(PROBES_PER_TOUR) : guided.tour.listeners;
  for (const id of crowd) {
    const join: Join = { id, url: load.livekitUrl, token: await listenerToken(load.platform, id, guided.room) };
    load.crowd.send(join);
  }
  load.crowdJoined += crowd.length;
}

/** Everyone of the lever's rtc-node tours leaves; the Go processes are stopped by their owner. */
export async function leaveSampled(load: LeverLoad): Promise<void> {
  for (const s of load.sampled) {
    for (const e of s.ears) e.close();
    await s.signal.stop().catch(() => {});
  }
  await leaveRooms(load.sampled.flatMap((s) => [s.guide, ...s.probes]));
}
