// The ICE path a client actually uses, read from its WebRTC stats: the
// transport's selected candidate pair and the two candidates it joins. Named
// after the stats, not LiveKit's log (which said "udp" for a TURN/UDP session).
import type { Room } from "@livekit/rtc-node";

export interface IcePath {
  readonly localType: string;
  readonly localProtocol: string;
  readonly remoteType: string;
  readonly remoteProtocol: string;
  /** For a relay candidate: how the client reaches the TURN server (udp, tcp, tls). */
  readonly relayProtocol?: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

type Stats = Awaited<ReturnType<Room["getRtcStats"]>>["subscriberStats"];

// The protobuf enums of @livekit/rtc-ffi-bindings (stats.proto), by value.
const CANDIDATE_TYPES = ["host", "srflx", "prflx", "relay"];
const RELAY_PROTOCOLS = ["udp", "tcp", "tls"];

/** The selected path of the peer connection that received the most bytes (a client has one or two). */
export function receivingIcePath(connections: readonly Stats[]): IcePath | undefined {
  const paths = connections
    .map((stats) => ({ path: selectedIcePath(stats), received: bytesReceived(stats) }))
    .filter((p) => p.path !== undefined)
    .sort((a, b) => b.received - a.received);
  return paths[0]?.path;
}

function bytesReceived(stats: Stats): number {
  const transport = stats.find((s) => s.stats.case === "transport");
  return transport?.stats.case === "transport" ? Number(transport.stats.value.transport?.bytesReceived ?? 0) : 0;
}

/** The selected path of one peer connection's stats, or undefined while none is selected. */
export function selectedIcePath(stats: Stats): IcePath | undefined {
  const byId = new Map(
    stats.map((s) => [s.stats.value && "rtc" in s.stats.value ? s.stats.value.rtc?.id : undefined, s.stats] as const),
  );
  const transport = stats.find((s) => s.stats.case === "transport" && s.stats.value.transport?.selectedCandidatePairId);
  const pairId = transport?.stats.case === "transport" ? transport.stats.value.transport?.selectedCandidatePairId : "";
  const pair = byId.get(pairId);
  if (pair?.case !== "candidatePair") return undefined;
  const local = byId.get(pair.value.candidatePair?.localCandidateId);
  const remote = byId.get(pair.value.candidatePair?.remoteCandidateId);
  if (local?.case !== "localCandidate" || remote?.case !== "remoteCandidate") return undefined;
  const l = local.value.candidate!;
  const r = remote.value.candidate!;
  return {
    localType: CANDIDATE_TYPES[l.candidateType ?? -1] ?? String(l.candidateType),
    localProtocol: l.protocol ?? "",
    remoteType: CANDIDATE_TYPES[r.candidateType ?? -1] ?? String(r.candidateType),
    remoteProtocol: r.protocol ?? "",
    ...(l.candidateType === 3 ? { relayProtocol: RELAY_PROTOCOLS[l.relayProtocol ?? -1] } : {}),
    remoteAddress: r.address ?? "",
    remotePort: r.port ?? 0,
  };
}

/** One line for a table: "host/udp → host/udp", "relay(tls)/udp → …". */
export function describeIcePath(path: IcePath | undefined): string {
  if (!path) return "none";
  const relay = path.relayProtocol ? `(${path.relayProtocol})` : "";
  return `${path.localType}${relay}/${path.localProtocol} → ${path.remoteType}/${path.remoteProtocol} ${path.remoteAddress}:${path.remotePort}`;
}

/** What a listener received, summed over its inbound audio streams, from its WebRTC stats. */
export interface ReceivedAudio {
  readonly packetsReceived: number;
  /** RTP packets lost on the network (before RED or concealment). */
  readonly packetsLost: number;
  /** Payload bytes plus RTP headers: what the listener's downlink carried for audio. */
  readonly bytesReceived: number;
  /** Samples the decoder had to invent (loss that RED could not repair). */
  readonly concealedSamples: number;
  readonly totalSamplesReceived: number;
}

export function receivedAudio(connections: readonly Stats[]): ReceivedAudio {
  const total = { packetsReceived: 0, packetsLost: 0, bytesReceived: 0, concealedSamples: 0, totalSamplesReceived: 0 };
  for (const stats of connections) {
    for (const s of stats) {
      if (s.stats.case !== "inboundRtp" || s.stats.value.stream?.kind !== "audio") continue;
      const { received, inbound } = s.stats.value;
      total.packetsReceived += Number(received?.packetsReceived ?? 0);
      total.packetsLost += Number(received?.packetsLost ?? 0);
      total.bytesReceived += Number(inbound?.bytesReceived ?? 0) + Number(inbound?.headerBytesReceived ?? 0);
      total.concealedSamples += Number(inbound?.concealedSamples ?? 0);
      total.totalSamplesReceived += Number(inbound?.totalSamplesReceived ?? 0);
    }
  }
  return total;
}
