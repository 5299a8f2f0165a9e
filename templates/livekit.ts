// livekit.yaml: LiveKit's own snake_case keys (pkg/config/config.go in
// livekit/livekit), written explicitly so that a deliberate false is kept.
import { assertRenderable, type HostModel, type MediaPorts, mediaPortSpan, PORTS } from "./model";
import { toYaml } from "./yaml";

export interface LivekitYaml {
  port: number;
  bind_addresses: string[];
  rtc: {
    tcp_port: number;
    /** mediaPorts "range": one port per peer connection from this range. */
    port_range_start?: number;
    port_range_end?: number;
    /** mediaPorts "mux": "50000-50003" (or 50000 for one socket); LiveKit reads it only without a port range. */
    udp_port?: number | string;
    /** Batched writes (sendmmsg); LiveKit applies them to udp_port's mux only. */
    batch_io?: { batch_size: number; max_flush_interval: string };
    use_external_ip: boolean;
    node_ip: string;
  };
  redis: { address: string; password: string };
  turn: { enabled: boolean; domain: string; tls_port: number; udp_port: number; external_tls: boolean };
  keys: Record<string, string>;
  room: {
    auto_create: boolean;
    max_participants: number;
    empty_timeout: number;
    departure_timeout: number;
    enabled_codecs: { mime: string }[];
  };
  audio: { update_interval: number; smooth_intervals: number };
  prometheus: { port: number };
  logging: { level: string; json: boolean };
  webhook?: { api_key: string; urls: string[] };
}

/**
 * Speaker updates every 2 s, unsmoothed, instead of LiveKit's 400 ms over 2
 * intervals: each update goes to every participant of the room over its
 * signalling socket, and a tour's listeners need at most a "guide speaking"
 * hint. It can only remove work; the capacity benchmark measured +31 % in one
 * run and no difference in the next (bench/results/capacity.md, README).
 */
export const SPEAKER_UPDATES = { update_interval: 2000, smooth_intervals: 0 } as const;

/**
 * The capacity benchmark's setting for batched writes (bench/levers.ts): up
 * to 128 packets per sendmmsg, none held back longer than 2 ms, far below a
 * listener's jitter buffer.
 */
export const MUX_BATCH_IO = { batch_size: 128, max_flush_interval: "2ms" } as const;

/** rtc's media keys: exactly one of the port range or the UDP mux, never both (LiveKit would ignore the mux). */
export function rtcMediaPorts(
  media: MediaPorts,
): Pick<LivekitYaml["rtc"], "port_range_start" | "port_range_end" | "udp_port" | "batch_io"> {
  if (media.mode === "range") return { port_range_start: PORTS.rtcUdpStart, port_range_end: PORTS.rtcUdpEnd };
  // LiveKit refuses a range whose end is its start, so one socket is a single port.
  const { from, to } = mediaPortSpan(media);
  return { udp_port: from === to ? from : `${from}-${to}`, batch_io: { ...MUX_BATCH_IO } };
}

/** The first and last UDP media port of a livekit.yaml's rtc section, in either mode. */
export function rtcUdpBounds(rtc: LivekitYaml["rtc"]): { readonly from: number; readonly to: number } {
  if (rtc.port_range_start !== undefined && rtc.port_range_end !== undefined)
    return { from: rtc.port_range_start, to: rtc.port_range_end };
  const match = /^(\d+)(?:-(\d+))?$/.exec(String(rtc.udp_port ?? ""));
  if (!match) throw new Error(`rtc has neither a port range nor a udp_port: ${JSON.stringify(rtc)}`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  return { from, to };
}

export function livekitConfig(model: HostModel): LivekitYaml {
  assertRenderable(model);
  const codecs = [{ mime: "audio/opus" }];
  if (model.redundantAudio) codecs.push({ mime: "audio/red" });
  const config: LivekitYaml = {
    port: PORTS.livekitHttp,
    // Signalling and metrics listen on loopback only: Caddy terminates TLS on
    // :443 and proxies here, and metrics never leave the host.
    bind_addresses: ["127.0.0.1", "::1"],
    rtc: {
      tcp_port: PORTS.rtcTcp,
      ...rtcMediaPorts(model.media),
      // The primary IP is known before the server exists, so no STUN lookup at
      // start-up (which exits when STUN is unreachable, and can pick a
      // private NIC's address). node_ip only applies without use_external_ip.
      use_external_ip: false,
      node_ip: model.publicIpv4,
    },
    // With several nodes this is LiveKit's multi-node mode: every node's rooms
    // and signalling relays go through node 1's Redis, on the private network.
    redis: { address: redisAddress(model), password: model.secrets.redisPassword },
    turn: {
      enabled: true,
      domain: model.turnHost,
      tls_port: PORTS.turnTls,
      udp_port: PORTS.turnUdp,
      // Caddy terminates TLS for the TURN name and forwards plain TURN.
      external_tls: true,
    },
    keys: { [model.secrets.apiKey]: model.secrets.apiSecret },
    room: {
      auto_create: true,
      max_participants: model.room.maxParticipants,
      empty_timeout: model.room.emptyTimeoutSeconds,
      departure_timeout: model.room.departureTimeoutSeconds,
      // An audio-only platform: no video codec is negotiated at all, so a
      // leaked guide token cannot push video through the tour's uplink.
      enabled_codecs: codecs,
    },
    audio: { ...SPEAKER_UPDATES },
    prometheus: { port: PORTS.metrics },
    logging: { level: "info", json: true },
  };
  if (model.webhook) config.webhook = { api_key: model.secrets.apiKey, urls: [model.webhook.url] };
  return config;
}

function redisAddress(model: HostModel): string {
  const host = model.redis?.role === "remote" ? model.redis.address : "localhost";
  return `${host}:${PORTS.redis}`;
}

export function renderLivekitYaml(model: HostModel): string {
  return toYaml(livekitConfig(model));
}
