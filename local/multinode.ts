// LiveKit's own multi-node mode on 127.0.0.1: several livekit-server
// processes sharing one Redis (the rendered redis.conf and its password).
// With Redis configured, livekit-server 1.13.5 registers itself in the
// `nodes` hash, records which node hosts each room in `room_node_map`, and a
// participant whose signalling reaches another node is relayed to the room's
// node over psrpc; media goes to the room node's own ICE candidates.
import { randomBytes } from "node:crypto";
import { type HostModel } from "../templates";
import { type LivekitYaml, MUX_BATCH_IO } from "../templates/livekit";
import { localLivekitConfig, startLivekit, startRedis } from "./livekit";
import { localHostModel } from "./model";
import { freePort, type Running, run, systemTool, waitFor } from "./processes";

/** The UDP media ports each local node takes; distinct per node so a candidate's port names its node. */
const UDP_PORTS_PER_NODE = 2_000;
const FIRST_UDP_PORT = 50_000;

export interface LocalNode {
  readonly name: string;
  /** LiveKit's node id (ND_…), as it registered in Redis. */
  readonly nodeId: string;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly config: LivekitYaml;
  readonly process: Running;
  /** SIGTERM, then SIGKILL after a bounded wait: LiveKit drains until its participants leave. */
  stop(): Promise<void>;
}

export interface LocalCluster {
  readonly model: HostModel;
  readonly nodes: readonly LocalNode[];
  /** Redis's room_node_map: which node id hosts each room. */
  roomNodes(): Record<string, string>;
  /** Redis's nodes hash: the node ids registered. */
  registeredNodeIds(): string[];
  stop(): Promise<void>;
}

/**
 * One node's livekit.yaml. On one host the rendered fixed ports (RTC TCP 7881,
 * TURN 3478/5349, metrics 6789, media 50000–60000) would clash between nodes
 * and with other local runs, so each node gets free ones and its own slice of
 * the media range (the port range's, or the mux's as many ports). Nothing else changes: same keys, same Redis, same room policy.
 */
export async function localNodeConfig(model: HostModel, redisPort: number, index: number): Promise<LivekitYaml> {
  const config = localLivekitConfig(model, { livekit: await freePort(), redis: redisPort, metrics: await freePort() });
  const udpStart = FIRST_UDP_PORT + index * UDP_PORTS_PER_NODE;
  return {
    ...config,
    rtc: { ...config.rtc, tcp_port: await freePort(), ...nodeMediaPorts(model, udpStart) },
    turn: { ...config.turn, udp_port: await freePort(), tls_port: await freePort() },
  };
}

/** The rendered media mode in the node's own slice: a port range, or as many mux ports as rendered. */
function nodeMediaPorts(model: HostModel, udpStart: number): Partial<LivekitYaml["rtc"]> {
  if (model.media.mode === "range")
    return { port_range_start: udpStart, port_range_end: udpStart + UDP_PORTS_PER_NODE - 1 };
  const last = udpStart + model.media.sockets - 1;
  return { udp_port: last === udpStart ? udpStart : `${udpStart}-${last}`, batch_io: { ...MUX_BATCH_IO } };
}

function nodeIdFromLog(output: string): string | undefined {
  return /"nodeID":"(ND_[A-Za-z0-9]+)"/.exec(output)?.[1];
}

async function startNode(name: string, config: LivekitYaml): Promise<LocalNode> {
  const process = await startLivekit(config, config.port);
  const nodeId = await waitFor(
    "livekit-server to log its node id",
    async () => nodeIdFromLog(process.output()),
    10_000,
  );
  return {
    name,
    nodeId,
    httpUrl: `http://127.0.0.1:${config.port}`,
    wsUrl: `ws://127.0.0.1:${config.port}`,
    config,
    process,
    stop: () => process.stop(),
  };
}

/**
 * A port found free can be taken before LiveKit binds it (an ephemeral port of
 * another connection, on a busy machine), and LiveKit then exits with "address
 * already in use": pick the ports again, a bounded number of times.
 */
async function startNodeOnFreePorts(
  name: string,
  model: HostModel,
  redisPort: number,
  index: number,
): Promise<LocalNode> {
  // Five tries: CI once saw three in a row lose their port ("listen tcp :41613: bind: address already in use").
  const attempts = 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNode(name, await localNodeConfig(model, redisPort, index));
    } catch (error) {
      if (!/address already in use/.test(String(error))) throw error;
      if (attempt >= attempts)
        throw new Error(`${name}: no free ports after ${attempts} tries: ${(error as Error).message}`);
      console.log(`${name}: a port was taken before LiveKit bound it (try ${attempt} of ${attempts}); picking others`);
    }
  }
}

/** redis-cli with the password in the environment (REDISCLI_AUTH), never in argv. */
export function redisCommand(model: HostModel, port: number, args: string[]): string[] {
  const cli = systemTool("redis-cli", "redis-tools");
  const result = run("env", [`REDISCLI_AUTH=${model.secrets.redisPassword}`, cli, "-p", String(port), ...args]);
  // The whole command names what failed ("-n 3 FLUSHDB", not "-n"); the password is in the environment, not here.
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout.split("\n").filter((line) => line.length > 0);
}

function pairs(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]!] = lines[i + 1]!;
  return out;
}

export async function startLocalCluster(nodeNames: readonly string[]): Promise<LocalCluster> {
  const secrets = {
    apiKey: `API${randomBytes(6).toString("hex")}`,
    apiSecret: randomBytes(24).toString("hex"),
    redisPassword: randomBytes(20).toString("hex"),
  };
  // No webhook: the multi-node proof is about routing, not the room ledger.
  const model: HostModel = {
    ...localHostModel({ secrets, webhookUrl: "http://127.0.0.1:9/unused" }),
    webhook: undefined,
  };
  const redisPort = await freePort();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const redis = await startRedis(model, { livekit: 0, redis: redisPort, metrics: 0 });
    stops.push(() => redis.stop());
    const nodes: LocalNode[] = [];
    for (const [index, name] of nodeNames.entries()) {
      const node = await startNodeOnFreePorts(name, model, redisPort, index);
      stops.push(() => node.stop());
      nodes.push(node);
    }
    return {
      model,
      nodes,
      roomNodes: () => pairs(redisCommand(model, redisPort, ["HGETALL", "room_node_map"])),
      registeredNodeIds: () => redisCommand(model, redisPort, ["HKEYS", "nodes"]),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
