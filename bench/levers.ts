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
   * shares one port among its peer connections, and a muxing server tells
   * its peers apart by their address. "lean-addrs" gives each listener an
   * address of its own on one shared socket, read in batches ("lean-ports",
   * a port each, was the crowd before 2026-11-30 16:00).
   */
  readonly crowd?: "lean-ports" | "lean-addrs" | "sdk";
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

/**
 * LiveKit's own default: one socket per peer connection from the port range, each packet its own write. The
 * rendering muxed them on one port per vCPU with batched writes (templates/model.ts MediaPorts) once this bench
 * measured the mux cheaper in every round.
 */
const PORT_RANGE: ServerOverrides = {
  rtc: { udp_port: null, batch_io: null, port_range_start: 50000, port_range_end: 60000 },
};

/**
 * Every lever is measured with an address per listener: the rendered mux tells its peers apart by their address,
 * and a port per listener ("lean-ports") saturated the generator's core near 750 listeners.
 */
const CROWD = "lean-addrs" as const;

export const LEVERS: readonly Lever[] = [
  { name: "baseline", guide: PHONE_DEFAULTS, redundantAudio: true, server: {}, crowd: CROWD },
  ...[
    guideLever("RED off", { red: false }),
    guideLever("60 ms frames", { frameMs: 60 }),
    // The guide app's settings that were ahead of the baseline, at once: the stretch goal measures them.
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
    // Where the mux's saving comes from: LiveKit's CPU profile puts ~40 % of it in one sendto per forwarded packet.
    serverLever("port range, unbatched writes (LiveKit's default)", PORT_RANGE),
  ].map((lever) => ({ ...lever, crowd: CROWD })),
];

/**
 * The cross-check's LiveKit and guides: the rendered mux, which every crowd of the cross-check can join (the lean
 * ones with an address per listener), and guides without RED. The SDK crowd's pion offers no audio/red, so with RED
 * LiveKit would send it plain Opus (92-byte packets) and the other crowds RED (193 bytes): not the same work to
 * compare. (Until 2026-11-30 16:00 the lean crowds shared one socket, which only the port range can take.)
 */
export const CROSS_CHECK_LEVER: Lever = {
  name: "rendered mux, RED off",
  guide: { ...PHONE_DEFAULTS, red: false },
  redundantAudio: false,
  server: {},
};

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
  // The crowd is not named: every lever has the same one, and the tables name it.
  return `${guide}; ${server}`;
}

function flatKeys(o: ServerOverrides, prefix = ""): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    isObject(v) && k !== "batch_io"
      ? flatKeys(v as ServerOverrides, `${prefix}${k}.`)
      : [`${prefix}${k}: ${v === null ? "(removed)" : typeof v === "object" ? JSON.stringify(v) : v}`],
  );
}
