// The settings the capacity benchmark compares, side by side in one run: the
// rendered configuration with a phone's publish defaults as the baseline,
// then one change at a time on the guide's side (publish options the app
// chooses) or the server's (livekit.yaml keys read from livekit-server
// v1.13.5's pkg/config, pkg/sfu and pkg/rtc that change what each listener's
// packets cost). Pure: the bench applies them (bench/livekitUnderTest.ts).

/** What `loadgen guide` publishes with (CONTRACTS.md), per guide. */
export interface GuideSettings {
  /** Opus frame duration: a 60 ms frame is one packet where 20 ms are three. */
  readonly frameMs: 20 | 40 | 60;
  /** RED (RFC 2198): each packet also carries the previous frame, so a lost packet is recovered. */
  readonly red: boolean;
  /** Opus DTX: in pauses, a comfort-noise frame every 400 ms instead of every frame. */
  readonly dtx: boolean;
  readonly bitrateKbps: number;
  /** Share of time the guide talks; 1 = continuous speech, the worst case. */
  readonly speech: number;
}

/** A partial livekit.yaml, merged over the rendered one; null removes a key. */
export type ServerOverrides = { readonly [key: string]: ServerOverrides | string | number | boolean | null };

export interface Lever {
  readonly name: string;
  readonly guide: GuideSettings;
  /** The stack's `redundantAudio`: whether audio/red is among livekit.yaml's enabled codecs. */
  readonly redundantAudio: boolean;
  readonly server: ServerOverrides;
  /**
   * The crowd that can measure it, when the lean one cannot: the lean crowd
   * shares one port among its peer connections, and a single-port server
   * tells its peers apart by their address. "lean-ports" gives each listener
   * a port of its own, still read without waking anyone.
   */
  readonly crowd?: "lean-ports" | "sdk";
}

/** What a phone publishes with by default (LiveKit's client SDKs): RED, 20 ms frames, DTX; the guide never pauses. */
export const PHONE_DEFAULTS: GuideSettings = { frameMs: 20, red: true, dtx: true, bitrateKbps: 32, speech: 1 };

const guideLever = (name: string, change: Partial<GuideSettings>): Lever => ({
  name,
  guide: { ...PHONE_DEFAULTS, ...change },
  redundantAudio: change.red ?? true,
  server: {},
});
const serverLever = (name: string, server: ServerOverrides): Lever => ({
  name,
  guide: PHONE_DEFAULTS,
  redundantAudio: true,
  server,
});

/** LiveKit's default single media port (rtcconfig's development default); the bench moves it to a free one. */
export const SINGLE_UDP_PORT = 7882;

const SINGLE_PORT_BATCHED: ServerOverrides = {
  rtc: {
    port_range_start: null,
    port_range_end: null,
    udp_port: SINGLE_UDP_PORT,
    batch_io: { batch_size: 128, max_flush_interval: "2ms" },
  },
};

export const LEVERS: readonly Lever[] = [
  { name: "baseline", guide: PHONE_DEFAULTS, redundantAudio: true, server: {} },
  guideLever("RED off", { red: false }),
  guideLever("60 ms frames", { frameMs: 60 }),
  guideLever("60 ms frames + RED off", { frameMs: 60, red: false }),
  // The room's audioUpdateWorker sends every participant a SpeakerUpdate on
  // the signalling socket each update_interval in which a speaker's level,
  // rounded to eighths, changed: with loadgen guide's varying syllable peaks,
  // about every other interval (guide_level_test.go). The rendered config
  // sends them every 2 s (templates/livekit.ts); this is LiveKit's default.
  serverLever("speaker updates every 400 ms (LiveKit's default)", {
    audio: { update_interval: 400, smooth_intervals: 2 },
  }),
  // The stream allocator runs per subscriber: bandwidth estimates, probing.
  // For one audio track per listener there is nothing to allocate.
  serverLever("congestion control off", { rtc: { congestion_control: { enabled: false } } }),
  // One UDP socket for every peer connection (pion's UDP mux) instead of one
  // socket per peer in 50000-60000, and packets written in batches (sendmmsg).
  { ...serverLever("single UDP port + batched writes", SINGLE_PORT_BATCHED), crowd: "lean-ports" },
  // Everything that was ahead of the baseline at once: the guide app's
  // settings and the server's, as the stretch goal measures them.
  {
    name: "60 ms frames + RED off + single UDP port + batched writes",
    guide: { ...PHONE_DEFAULTS, frameMs: 60, red: false },
    redundantAudio: false,
    server: SINGLE_PORT_BATCHED,
    crowd: "lean-ports",
  },
];

/** Looks the named levers up, refusing a name that is not one; the baseline always comes first. */
export function chooseLevers(names: readonly string[] | "all"): Lever[] {
  if (names === "all") return [...LEVERS];
  const known = new Map(LEVERS.map((l) => [l.name.toLowerCase(), l]));
  const chosen = names.map((n) => {
    const lever = known.get(n.trim().toLowerCase());
    if (!lever) throw new Error(`unknown lever "${n}"; the levers are: ${LEVERS.map((l) => l.name).join(", ")}`);
    return lever;
  });
  return [LEVERS[0]!, ...chosen.filter((l) => l !== LEVERS[0])];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `base` with `overrides` merged in, key by key; a null override removes the key. */
export function mergeOverrides<T extends object>(base: T, overrides: ServerOverrides): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else if (isObject(value)) out[key] = mergeOverrides(isObject(out[key]) ? out[key] : {}, value as ServerOverrides);
    else out[key] = value;
  }
  return out as T;
}

/** One line naming what a lever changes, for tables. */
export function describeLever(lever: Lever): string {
  const g = lever.guide;
  const guide = `${g.frameMs} ms, RED ${g.red ? "on" : "off"}, DTX ${g.dtx ? "on" : "off"}, speech ${g.speech * 100} %`;
  const server =
    Object.keys(lever.server).length === 0
      ? "rendered livekit.yaml"
      : `livekit.yaml + ${flatKeys(lever.server).join(", ")}`;
  return `${guide}; ${server}${lever.crowd ? ` (measured with the ${lever.crowd === "sdk" ? "SDK" : lever.crowd} crowd)` : ""}`;
}

function flatKeys(o: ServerOverrides, prefix = ""): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    isObject(v) && k !== "batch_io"
      ? flatKeys(v as ServerOverrides, `${prefix}${k}.`)
      : [`${prefix}${k}: ${v === null ? "(removed)" : typeof v === "object" ? JSON.stringify(v) : v}`],
  );
}
