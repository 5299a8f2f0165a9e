// The guide and the listeners of the restart benchmark, as real WebRTC
// clients (@livekit/rtc-node) that behave as the app does when the server
// goes away:
// - the SDK recovers first on its own: when the signal connection or the
//   media path drops it resumes, or rebuilds the session and re-publishes
//   (RoomEvent.Reconnecting, then RoomEvent.Reconnected) — counted as an SDK
//   reconnect;
// - when the room ends for the client (RoomEvent.Disconnected: the SDK gave
//   up, or the server said leave), the app rejoins: a fresh token from the
//   token function, a new Room, connect again, every REJOIN_PAUSE_MS until it
//   succeeds — counted as a rejoin. The guide then publishes its signal again.
// Each listener records when it heard the guide's signal, frame by frame
// (10 ms), so the longest stretch without it is the audio gap.
import { AudioStream, type RemoteTrack, Room, RoomEvent, TrackKind } from "@livekit/rtc-node";
import { nowMs, publishGuideSignal } from "../tour/audio";
import { sleep, withTimeout } from "../tour/time";

const REJOIN_PAUSE_MS = 500;
const CONNECT_TIMEOUT_MS = 15_000;
/**
 * A frame carries the guide's signal above this RMS. The speech-like noise
 * stays above ~120 at its quietest and the marker near 11,000; silence is 0,
 * and the decoder's concealment after lost packets fades below this within
 * tens of ms, which the gap therefore leaves out.
 */
export const SIGNAL_RMS = 40;
const SAMPLE_RATE = 48_000;

/** The longest interval in [from, to] with no heard frame; `heard` sorted ascending. */
export function longestGap(heard: readonly number[], from: number, to: number): number {
  let last = from;
  let longest = 0;
  for (const t of heard) {
    if (t < from) continue;
    if (t > to) break;
    longest = Math.max(longest, t - last);
    last = t;
  }
  return Math.max(longest, to - last);
}

export interface Phone {
  readonly id: string;
  /** When each frame with the guide's signal arrived (nowMs() clock); for the guide, empty. */
  readonly heard: number[];
  /** SDK-level recoveries (RoomEvent.Reconnected). */
  reconnects(): number;
  /** App-level rejoins after RoomEvent.Disconnected, with the reasons given. */
  rejoins(): readonly string[];
  stop(): Promise<void>;
}

/** A fresh token for this user, as the app asks the token function. */
export type TokenSource = () => Promise<string>;

const rms = (data: Int16Array) => {
  let sum = 0;
  for (const s of data) sum += s * s;
  return Math.sqrt(sum / data.length);
};

/** Records the frames with signal of every audio track the room delivers, now and after SDK recoveries. */
function attachEar(room: Room, heard: number[]): void {
  const consume = async (track: RemoteTrack) => {
    for await (const frame of new AudioStream(track, SAMPLE_RATE, 1)) {
      if (rms(frame.data) > SIGNAL_RMS) heard.push(nowMs());
    }
  };
  const onTrack = (track: RemoteTrack) => {
    if (track.kind === TrackKind.KIND_AUDIO) void consume(track).catch(() => {});
  };
  room.on(RoomEvent.TrackSubscribed, onTrack);
  for (const p of room.remoteParticipants.values())
    for (const pub of p.trackPublications.values())
      if (pub.track?.kind === TrackKind.KIND_AUDIO) onTrack(pub.track as RemoteTrack);
}

/**
 * Joins and stays joined until stopped: the SDK's own recovery, then the
 * app's rejoin. `onJoined` runs on each new Room and returns its teardown.
 */
function stayJoined(
  id: string,
  url: string,
  token: TokenSource,
  onJoined: (room: Room) => Promise<() => Promise<void>>,
  heard: number[] = [],
): Phone {
  const rejoins: string[] = [];
  let reconnects = 0;
  let stopped = false;
  let current: Room | undefined;
  let stop!: () => void;
  const stopping = new Promise<void>((resolve) => (stop = resolve));
  const loop = (async () => {
    while (!stopped) {
      const room = new Room();
      room.on(RoomEvent.Reconnected, () => reconnects++);
      const ended = new Promise<string>((resolve) => room.once(RoomEvent.Disconnected, (r) => resolve(String(r))));
      try {
        await withTimeout(
          CONNECT_TIMEOUT_MS,
          `${id} joining`,
          room.connect(url, await token(), { autoSubscribe: true, dynacast: false }),
        );
      } catch {
        await sleep(REJOIN_PAUSE_MS);
        continue;
      }
      current = room;
      const teardown = await onJoined(room);
      const reason = await Promise.race([ended, stopping.then(() => "stopped")]);
      await teardown().catch(() => {});
      if (stopped) return;
      rejoins.push(reason);
    }
  })();
  return {
    id,
    heard,
    reconnects: () => reconnects,
    rejoins: () => rejoins,
    async stop() {
      stopped = true;
      stop();
      await withTimeout(20_000, `${id} stopping`, loop).catch(() => {});
      if (current?.isConnected) await withTimeout(5_000, `${id} leaving`, current.disconnect()).catch(() => {});
    },
  };
}

export function startGuide(url: string, token: TokenSource): Phone {
  return stayJoined("guide", url, token, async (room) => {
    const signal = await publishGuideSignal(room);
    return () => signal.stop();
  });
}

export function startListener(id: string, url: string, token: TokenSource): Phone {
  const heard: number[] = [];
  const ear = async (room: Room) => {
    attachEar(room, heard);
    return async () => {};
  };
  return stayJoined(id, url, token, ear, heard);
}
