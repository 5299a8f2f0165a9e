// The one typed model of the LiveKit host. Every rendered file and the Hetzner
// firewall derive from it, so a port or a name cannot drift between them.

export const INSTALL_DIR = "/opt/livekit";

export const PORTS = {
  /** ACME HTTP-01 challenges (Caddy). */
  http: 80,
  /** WSS signalling and TURN/TLS, split by TLS server name (Caddy layer4). */
  https: 443,
  /** LiveKit HTTP/WebSocket; reached only through Caddy, bound to loopback. */
  livekitHttp: 7880,
  /** ICE over TCP, for networks that block UDP. */
  rtcTcp: 7881,
  /** TURN over UDP. */
  turnUdp: 3478,
  /** Plain TURN behind Caddy's TLS termination; never opened in the firewall. */
  turnTls: 5349,
  /**
   * Media over UDP: the range clients' networks are told to allow. Either mode
   * of MediaPorts stays inside it, so a network that allows it keeps working
   * whichever the stack renders.
   */
  rtcUdpStart: 50000,
  rtcUdpEnd: 60000,
  /** Redis, loopback only. */
  redis: 6379,
  /** LiveKit's Prometheus metrics, loopback only. */
  metrics: 6789,
  // The monitoring stack: every port below listens on 127.0.0.1 only, and an
  // operator reaches Prometheus and Alertmanager through an SSH tunnel.
  /** Caddy's admin API, which also serves Caddy's /metrics. */
  caddyAdmin: 2019,
  prometheus: 9090,
  alertmanager: 9093,
  nodeExporter: 9100,
  blackboxExporter: 9115,
  redisExporter: 9121,
} as const;

/** The ports that only processes on the host itself may reach. */
export const LOOPBACK_PORTS = [
  PORTS.livekitHttp,
  PORTS.redis,
  PORTS.metrics,
  PORTS.caddyAdmin,
  PORTS.prometheus,
  PORTS.alertmanager,
  PORTS.nodeExporter,
  PORTS.blackboxExporter,
  PORTS.redisExporter,
] as const;

export type Protocol = "tcp" | "udp";

export interface PublicPort {
  readonly protocol: Protocol;
  readonly from: number;
  readonly to: number;
  readonly service: "caddy" | "livekit";
  readonly purpose: string;
}

/**
 * How LiveKit takes its UDP media ports (roamcast:mediaPorts).
 * "range": one socket per peer connection, each on a port of its own from
 * 50000-60000 (pion's ephemeral range; LiveKit's default).
 * "mux": every peer connection shares `sockets` sockets on consecutive ports
 * from 50000 (pion's UDP mux), one per vCPU because LiveKit opens one per CPU
 * at most, and packets leave in batches (sendmmsg), which the capacity
 * benchmark measured ahead of the range (bench/results/capacity.md).
 */
export type MediaPorts = { readonly mode: "range" } | { readonly mode: "mux"; readonly sockets: number };

/** The most mux sockets: one per port of the range that clients' networks allow. */
export const MAX_MUX_SOCKETS = PORTS.rtcUdpEnd - PORTS.rtcUdpStart + 1;

/** The UDP ports LiveKit's media uses, first to last, inside PORTS.rtcUdpStart-rtcUdpEnd. */
export function mediaPortSpan(media: MediaPorts): { readonly from: number; readonly to: number } {
  if (media.mode === "range") return { from: PORTS.rtcUdpStart, to: PORTS.rtcUdpEnd };
  return { from: PORTS.rtcUdpStart, to: PORTS.rtcUdpStart + media.sockets - 1 };
}

/** "50000-60000", or the one port of a single mux socket. */
export function mediaPortText(media: MediaPorts): string {
  const { from, to } = mediaPortSpan(media);
  return from === to ? String(from) : `${from}-${to}`;
}

/**
 * The ports the Internet must reach. UDP media is always the whole range 50000-60000, in both modes: the mux's
 * ports are its first ones, so switching roamcast:mediaPorts (or rolling the switch back by reverting a commit)
 * changes livekit.yaml only, never the firewall rules. A firewall narrowed to the mux's ports would have to change in the
 * same apply as the hosts, in an order Pulumi does not promise: tours still on the range's ports would go silent.
 */
export function publicPorts(): readonly PublicPort[] {
  return [
    {
      protocol: "tcp",
      from: PORTS.http,
      to: PORTS.http,
      service: "caddy",
      purpose: "ACME HTTP-01 certificate challenges",
    },
    {
      protocol: "tcp",
      from: PORTS.https,
      to: PORTS.https,
      service: "caddy",
      purpose: "WSS signalling and TURN/TLS, routed by SNI",
    },
    { protocol: "tcp", from: PORTS.rtcTcp, to: PORTS.rtcTcp, service: "livekit", purpose: "WebRTC ICE over TCP" },
    { protocol: "udp", from: PORTS.turnUdp, to: PORTS.turnUdp, service: "livekit", purpose: "TURN over UDP" },
    {
      protocol: "udp",
      from: PORTS.rtcUdpStart,
      to: PORTS.rtcUdpEnd,
      service: "livekit",
      purpose: "WebRTC media over UDP",
    },
  ];
}

export interface ContainerImages {
  readonly livekit: string;
  readonly caddy: string;
  readonly redis: string;
  readonly prometheus: string;
  readonly alertmanager: string;
  readonly nodeExporter: string;
  readonly redisExporter: string;
  readonly blackboxExporter: string;
}

export interface HostSecrets {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly redisPassword: string;
  /** The alert receiver's secret: the SMTP password (e-mail) or the whole webhook URL. */
  readonly alertReceiverSecret: string;
}

/** Where Alertmanager sends alerts; the secret part is HostSecrets.alertReceiverSecret. */
export type AlertReceiver =
  | {
      readonly kind: "email";
      readonly to: string;
      readonly from: string;
      /** host:port of the SMTP server. */
      readonly smarthost: string;
      readonly username: string;
    }
  | { readonly kind: "webhook" };

export interface MonitoringSettings {
  readonly receiver: AlertReceiver;
  /** Outgoing bytes a month that the server's price includes (Hetzner counts outgoing traffic only). */
  readonly monthlyTrafficBytes: number;
}

export interface RoomPolicy {
  readonly maxParticipants: number;
  readonly emptyTimeoutSeconds: number;
  readonly departureTimeoutSeconds: number;
}

export interface WebhookTarget {
  readonly url: string;
}

/**
 * Where this host's LiveKit keeps its state. Absent or "single": Redis on
 * loopback only (one server). With several nodes (plans/nodes.ts), node 1's
 * Redis also listens on its private address, and every other node runs none
 * and uses that one.
 */
export type RedisPlacement =
  | { readonly role: "single" }
  | { readonly role: "primary"; readonly privateIp: string }
  | { readonly role: "remote"; readonly address: string };

/** True when Redis (and its exporter) runs on this host. */
export const runsRedis = (model: Pick<HostModel, "redis">): boolean => model.redis?.role !== "remote";

export interface HostModel {
  readonly livekitHost: string;
  readonly turnHost: string;
  readonly acmeEmail: string;
  readonly publicIpv4: string;
  readonly publicIpv6: string;
  readonly images: ContainerImages;
  readonly room: RoomPolicy;
  /** Offer Opus RED (redundant audio) besides plain Opus. */
  readonly redundantAudio: boolean;
  /** LiveKit's UDP media ports, inside the range the firewall opens (publicPorts). */
  readonly media: MediaPorts;
  readonly secrets: HostSecrets;
  readonly webhook?: WebhookTarget;
  readonly monitoring: MonitoringSettings;
  /** Absent: one server, Redis on loopback (the rendering every single-server stack always had). */
  readonly redis?: RedisPlacement;
}

/** Hetzner bills traffic in TB; 10^12 bytes is the smaller reading, so an alert comes early rather than late. */
export const BYTES_PER_TB = 1e12;

/**
 * Room limits for a tour. A guide plus the listeners, and one spare seat for a
 * co-guide or an operator. A tour bus in a tunnel drops every phone at once:
 * the room must outlive that (LiveKit's default departure timeout is 20 s),
 * and a room opened ahead of the start waits for its guide.
 */
export function roomPolicy(listenersPerTour: number): RoomPolicy {
  return {
    maxParticipants: listenersPerTour + 2,
    emptyTimeoutSeconds: 15 * 60,
    departureTimeoutSeconds: 10 * 60,
  };
}

const isMuxSocketCount = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_MUX_SOCKETS;

/** Why a model cannot be rendered, or an empty list. */
function modelProblems(model: HostModel): string[] {
  const problems: string[] = [];
  if (model.secrets.apiSecret.length < 32) problems.push("the LiveKit API secret must be at least 32 characters");
  if (!/^[A-Za-z0-9_]{3,64}$/.test(model.secrets.apiKey))
    problems.push("the LiveKit API key must be 3-64 letters, digits or underscores");
  if (model.secrets.redisPassword.length < 16) problems.push("the Redis password must be at least 16 characters");
  if (/[\s']/.test(model.secrets.redisPassword))
    problems.push("the Redis password must not contain spaces or single quotes");
  if (model.livekitHost === model.turnHost) problems.push("the TURN host name must differ from the LiveKit host name");
  if (!model.secrets.alertReceiverSecret)
    problems.push("the alert receiver's secret (SMTP password or webhook URL) is empty");
  if (model.media.mode === "mux" && !isMuxSocketCount(model.media.sockets))
    problems.push(`the UDP mux needs 1 to ${MAX_MUX_SOCKETS} sockets, got ${model.media.sockets}`);
  if (!(model.monitoring.monthlyTrafficBytes > 0)) problems.push("the monthly traffic allowance must be positive");
  return problems;
}

export function assertRenderable(model: HostModel): void {
  const problems = modelProblems(model);
  if (problems.length > 0) throw new Error(`Cannot render the LiveKit host files: ${problems.join("; ")}`);
}
