// Pure planning of the LiveKit nodes: how many servers, each one's resource
// names, DNS names, private address and where its Redis is. Node 1 is the
// single server of a one-node stack, with exactly its names, so growing from
// one node to more adds resources and never replaces the first server, its
// primary IPs or its DNS records.
//
// More than one node runs LiveKit's own multi-node mode: every node keeps its
// rooms' state in one Redis on node 1, which listens on loopback and on node
// 1's private address only (with requirepass). Hetzner Cloud Firewalls filter
// public traffic only and never see the private network, so the bind address
// is what keeps Redis off the Internet; the private network holds this
// stack's servers alone.
import type { RedisPlacement } from "../templates/model";

export const MAX_LIVEKIT_NODES = 10;

/** The stack's private network; the servers take fixed addresses in its one subnet. */
export const PRIVATE_NETWORK = { ipRange: "10.42.0.0/16", subnet: "10.42.1.0/24" } as const;

export interface NodePlan {
  /** 1-based. */
  readonly index: number;
  /** Appended to each resource name of the single-server stack: "" for node 1, "-node2" and so on. */
  readonly suffix: string;
  readonly livekitHost: string;
  readonly turnHost: string;
  /** The node's address in the private network; none with one node (no network exists). */
  readonly privateIp?: string;
  readonly redis: RedisPlacement;
}

/** Node k's address: .11, .12, ... (Hetzner keeps the network's first address for its gateway). */
export function privateIpOf(index: number): string {
  return `10.42.1.${10 + index}`;
}

/**
 * Node k's name beside node 1's: its first label gets "-k" (live.example.com
 * → live-2.example.com), so each node has its own certificate for its own
 * signalling and TURN names, in the same zone.
 */
export function nodeHostName(host: string, index: number): string {
  if (index === 1) return host;
  const dot = host.indexOf(".");
  return dot < 0 ? `${host}-${index}` : `${host.slice(0, dot)}-${index}${host.slice(dot)}`;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why these node names cannot be used, naming the setting and the fix; none when they can. */
export function nodeNameProblems(livekitHost: string, turnHost: string, count: number): string[] {
  if (!livekitHost || !turnHost || count <= 1) return [];
  const names = Array.from({ length: count }, (_, i) => [
    nodeHostName(livekitHost, i + 1),
    nodeHostName(turnHost, i + 1),
  ]).flat();
  const problems = names
    .filter((name) => !name.split(".").every((label) => LABEL.test(label)))
    .map(
      (name) =>
        `roamcast:livekitNodes ${count} needs the host name "${name}", which is not a valid DNS name (a label over 63 characters); shorten the first label of roamcast:livekitHost or roamcast:turnHost`,
    );
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      problems.push(
        `roamcast:livekitNodes ${count} derives the host name "${name}" twice (from roamcast:livekitHost and roamcast:turnHost); choose first labels that do not end in -<number>, e.g. live and turn`,
      );
    seen.add(name);
  }
  return problems;
}

/** Every node, node 1 first. Throws on names nodeNameProblems refuses (config/checks.ts reports them first). */
export function planNodes(livekitHost: string, turnHost: string, count: number): NodePlan[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_LIVEKIT_NODES)
    throw new Error(`planNodes: the node count must be a whole number from 1 to ${MAX_LIVEKIT_NODES}, got ${count}`);
  const problems = nodeNameProblems(livekitHost, turnHost, count);
  if (problems.length > 0) throw new Error(problems.join("; "));
  if (count === 1) return [{ index: 1, suffix: "", livekitHost, turnHost, redis: { role: "single" } }];
  const redisIp = privateIpOf(1);
  return Array.from({ length: count }, (_, i) => {
    const index = i + 1;
    return {
      index,
      suffix: index === 1 ? "" : `-node${index}`,
      livekitHost: nodeHostName(livekitHost, index),
      turnHost: nodeHostName(turnHost, index),
      privateIp: privateIpOf(index),
      redis: index === 1 ? { role: "primary", privateIp: redisIp } : { role: "remote", address: redisIp },
    };
  });
}

/** The signalling URL of each node, node 1 first: what the token function chooses from. */
export function signallingUrls(nodes: readonly NodePlan[]): string[] {
  return nodes.map((n) => `wss://${n.livekitHost}`);
}

/** Hetzner's network zone for a location: a subnet serves the servers of its zone only. */
export function networkZoneOf(location: string): string {
  if (location === "ash") return "us-east";
  if (location === "hil") return "us-west";
  if (location === "sin") return "ap-southeast";
  return "eu-central";
}
