// Runs the rendered LiveKit host files on 127.0.0.1: only host-specific
// values move (addresses, and ports that could clash with other programs).
import { stringify } from "yaml";
import { renderHost, type HostModel } from "../templates";
import { livekitConfig, type LivekitYaml } from "../templates/livekit";
import { freePort, freeUdpPort, goTool, type Running, start, systemTool, waitFor } from "./processes";
import { writeTemp } from "./temp";

export interface LocalPorts {
  readonly livekit: number;
  readonly redis: number;
  readonly metrics: number;
  /**
   * The UDP mux's one port here, when the rendering muxes: its 50000-50003 lie in Linux's ephemeral range, where
   * any client socket on this machine may hold one. One port is one mux socket, enough on 127.0.0.1.
   */
  readonly mediaUdp?: number;
}

export async function pickLocalPorts(): Promise<LocalPorts> {
  return {
    livekit: await freePort(),
    redis: await freePort(),
    metrics: await freePort(),
    mediaUdp: await freeUdpPort(),
  };
}

/** The rendered livekit.yaml with host values moved to loopback. */
export function localLivekitConfig(model: HostModel, ports: LocalPorts): LivekitYaml {
  const config = livekitConfig(model);
  return {
    ...config,
    port: ports.livekit,
    bind_addresses: ["127.0.0.1"],
    rtc: {
      ...config.rtc,
      node_ip: "127.0.0.1",
      ...(config.rtc.udp_port !== undefined && ports.mediaUdp !== undefined ? { udp_port: ports.mediaUdp } : {}),
    },
    redis: { ...config.redis, address: `127.0.0.1:${ports.redis}` },
    prometheus: { port: ports.metrics },
  };
}

function localRedisConf(model: HostModel, ports: LocalPorts): string {
  const conf = renderHost(model).files.find((f) => f.name === "redis.conf")!.content;
  const local = conf.replace(/^port \d+$/m, `port ${ports.redis}`);
  if (local === conf) throw new Error("redis.conf has no port line to move");
  return local;
}

export async function startRedis(model: HostModel, ports: LocalPorts): Promise<Running> {
  const redis = start(systemTool("redis-server", "redis-server"), [
    writeTemp("redis.conf", localRedisConf(model, ports)),
  ]);
  await waitFor(
    "redis to accept connections",
    async () => (redis.output().includes("Ready to accept connections") ? true : undefined),
    15_000,
    100,
  );
  return redis;
}

/** Starts livekit-server; `cpus` (a taskset list such as "0") pins it to those cores for measurements. */
export async function startLivekit(config: unknown, port: number, cpus?: string): Promise<Running> {
  const args = ["--config", writeTemp("livekit.yaml", stringify(config))];
  const livekit = cpus
    ? start("taskset", ["-c", cpus, goTool("livekit-server"), ...args])
    : start(goTool("livekit-server"), args);
  await Promise.race([
    waitFor(
      "livekit-server to answer GET /",
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return res.status === 200 ? true : undefined;
      },
      30_000,
    ),
    livekit.exited().then((code) => {
      throw new Error(`livekit-server exited with ${code}:\n${livekit.output()}`);
    }),
  ]);
  return livekit;
}
