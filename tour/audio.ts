// A recognisable guide signal and the listeners' ear for it. The guide sends
// speech-like noise (syllable-rate envelope, so Opus spends a speech-like
// bitrate on it) with a loud 1 kHz marker every MARKER_EVERY_MS; each listener
// finds marker onsets in what it receives. The time from a marker entering
// the guide's audio track to its onset at a listener is the audio latency;
// markers a listener never hears are lost. Times are wall-clock milliseconds
// from nowMs(), so a guide in another process on the same machine can be
// timed against listeners here.
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteTrack,
  type Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from "@livekit/rtc-node";

const SAMPLE_RATE = 48_000;
const FRAME_MS = 10;
export const MARKER_EVERY_MS = 500;
const MARKER_MS = 40;
const SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;

/** Wall-clock ms with sub-ms resolution; comparable across processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface GuideSignal {
  /** When each marker entered the track (nowMs() clock). */
  readonly markers: number[];
  /** Markers sent in a window: the signal's own health, before blaming the listeners. */
  markersBetween(from: number, to: number): number;
  stop(): Promise<void>;
}

/** Publishes the guide's microphone track and feeds it the marker signal in real time. */
export async function publishGuideSignal(
  room: Room,
  options: { red?: boolean; onMarker?: (at: number) => void } = {},
): Promise<GuideSignal> {
  // A short queue keeps generation close to real time (a marker's timestamp
  // adds what is still queued), yet rides out a busy event loop.
  const source = new AudioSource(SAMPLE_RATE, 1, 100);
  const track = LocalAudioTrack.createAudioTrack("guide-microphone", source);
  await room.localParticipant!.publishTrack(
    track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE, dtx: false, red: options.red ?? true }),
  );
  const markers: number[] = [];
  let running = true;
  const loop = (async () => {
    const framesPerMarker = MARKER_EVERY_MS / FRAME_MS;
    const markerFrames = MARKER_MS / FRAME_MS;
    let n = 0;
    let phase = 0;
    let seed = 0x9e3779b9;
    const noise = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return ((seed >>> 0) / 0xffffffff) * 2 - 1;
    };
    while (running) {
      const inMarker = n % framesPerMarker < markerFrames;
      const data = new Int16Array(SAMPLES);
      for (let i = 0; i < SAMPLES; i++, phase++) {
        const t = phase / SAMPLE_RATE;
        // Speech: ~4 syllables a second, RMS well under the marker threshold.
        const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
        data[i] = inMarker
          ? Math.round(16000 * Math.sin(2 * Math.PI * 1000 * t))
          : Math.round(2200 * envelope * noise());
      }
      if (n % framesPerMarker === 0) {
        const at = nowMs() + source.queuedDuration;
        markers.push(at);
        options.onMarker?.(at);
      }
      await source.captureFrame(new AudioFrame(data, SAMPLE_RATE, 1, SAMPLES));
      n++;
    }
  })();
  return {
    markers,
    markersBetween: (from, to) => markers.filter((m) => m >= from && m <= to).length,
    async stop() {
      running = false;
      await loop;
      await source.close();
    },
  };
}

export interface ListenerEar {
  /** When each marker onset arrived (nowMs() clock). */
  readonly onsets: number[];
  /** Frames received so far. */
  frames(): number;
  /** Resolves once the first marker onset has been heard. */
  firstMarker(): Promise<number>;
  close(): void;
}

const rms = (data: Int16Array) => {
  let sum = 0;
  for (const s of data) sum += s * s;
  return Math.sqrt(sum / data.length);
};

/** Listens to the first audio track the room delivers and records marker onsets. */
export function listen(room: Room, onOnset?: (at: number) => void): ListenerEar {
  const onsets: number[] = [];
  let frames = 0;
  let closed = false;
  let resolveFirst!: (t: number) => void;
  const first = new Promise<number>((r) => (resolveFirst = r));
  const consume = async (track: RemoteTrack) => {
    const stream = new AudioStream(track, SAMPLE_RATE, 1);
    let loud = false;
    for await (const frame of stream) {
      if (closed) break;
      frames++;
      const level = rms(frame.data);
      // Marker ≈ 11,000 RMS, speech ≤ 1,300: the threshold sits far from both.
      if (!loud && level > 4000) {
        const t = nowMs();
        onsets.push(t);
        onOnset?.(t);
        if (onsets.length === 1) resolveFirst(t);
      }
      loud = level > 2000 ? loud || level > 4000 : false;
    }
  };
  const onTrack = (track: RemoteTrack) => {
    if (track.kind === TrackKind.KIND_AUDIO) void consume(track);
  };
  room.on(RoomEvent.TrackSubscribed, onTrack);
  for (const p of room.remoteParticipants.values()) {
    for (const pub of p.trackPublications.values())
      if (pub.track && pub.track.kind === TrackKind.KIND_AUDIO) onTrack(pub.track as RemoteTrack);
  }
  return {
    onsets,
    frames: () => frames,
    firstMarker: () => first,
    close() {
      closed = true;
      room.off(RoomEvent.TrackSubscribed, onTrack);
    },
  };
}
