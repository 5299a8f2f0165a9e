// One livekit-server per lever, on LiveKit's core: the platform's rendered
// livekit.yaml (host values moved to loopback, as local/livekit.ts does) with
// the lever's overrides merged in. A fresh server per lever, so each starts
// from the same empty state and its idle figures are its own. Every port is a
// free one, so that another LiveKit on this machine cannot clash with it.
import { stringify } from "yaml";
import { type LocalPlatform } from "../local/platform";
import { localLivekitConfig } from "../local/livekit";
import { redisCommand } from "../local/multinode";
import type { LivekitYaml } from "../templates/livekit";
import { freePort, freeUdpPort, goTool, start, waitFor } from "../local/processes";
import { writeTemp } from "../local/temp";
import { sleep } from "../tour/time";
import type { CoreIsolation } from "./cpuset";
import { type Lever, mergeOverrides } from "./levers";

export interface LivekitUnderTest {
  readonly pid: number;
  /** ws:// URL clients connect to. */
  readonly url: string;
  readonly metricsUrl: string;
  stop(): Promise<void>;
}

/** Redis keeps 16 databases (0-15); the platform's LiveKit had 0. */
let redisDb = 0;
function nextRedisDb(): number {
  redisDb = (redisDb % 15) + 1;
  return redisDb;
}

export interface FixedPorts {
  readonly rtcTcp: number;
  readonly rtcUdp: number;
  readonly turnUdp: number;
  readonly turnTls: number;
}

export async function pickFixedPorts(): Promise<FixedPorts> {
  return {
    rtcTcp: await freePort(),
    rtcUdp: await freeUdpPort(),
    turnUdp: await freeUdpPort(),
    turnTls: await freePort(),
  };
}

/**
 * The rendered config's fixed ports (ICE over TCP, TURN, the UDP mux if set) moved to free ones. A mux range
 * becomes one port: LiveKit opens one mux socket per CPU it sees, and the bench's LiveKit sees one core.
 */
export function moveFixedPorts(config: LivekitYaml, ports: FixedPorts): LivekitYaml {
  const rtc: LivekitYaml["rtc"] = { ...config.rtc, tcp_port: ports.rtcTcp };
  if ("udp_port" in rtc) rtc.udp_port = ports.rtcUdp;
  return { ...config, rtc, turn: { ...config.turn, udp_port: ports.turnUdp, tls_port: ports.turnTls } };
}

/** livekit.yaml for a lever on this machine, as an object. */
export async function leverLivekitConfig(platform: LocalPlatform, lever: Lever) {
  const ports = { livekit: await freePort(), redis: platform.ports.redis, metrics: await freePort() };
  const model = { ...platform.model, redundantAudio: lever.redundantAudio };
  const config = moveFixedPorts(mergeOverrides(localLivekitConfig(model, ports), lever.server), await pickFixedPorts());
  // A Redis database of its own: a stopped server's rooms (same names, kept for departure_timeout) would
  // otherwise still be routed to it when the next server's tours join.
  // Redis has 16 databases and a long run starts more LiveKits than that: the database is emptied first, or a
  // departed server's rooms (kept for departure_timeout, ten minutes) still route the next one's joins to it —
  // seen as whole rounds of listeners that subscribed and heard nothing.
  const db = nextRedisDb();
  redisCommand(platform.model, platform.ports.redis, ["-n", String(db), "FLUSHDB"]);
  return { config: { ...config, redis: { ...config.redis, db } }, ports };
}

const PROFILE_EXIT_GRACE_MS = 45_000;

export async function startLivekitUnderTest(
  platform: LocalPlatform,
  lever: Lever,
  isolation: CoreIsolation,
  /** A file for LiveKit's own CPU profile (Go's pprof), written when it stops. */
  cpuProfile?: string,
): Promise<LivekitUnderTest> {
  const { config, ports } = await leverLivekitConfig(platform, lever);
  const [command, args] = isolation.onLivekitCore(goTool("livekit-server"), [
    "--config",
    writeTemp("livekit.yaml", stringify(config)),
    ...(cpuProfile ? ["--cpuprofile", cpuProfile] : []),
  ]);
  const livekit = start(command, args);
  try {
    await Promise.race([
      waitFor(
        "livekit-server to answer GET /",
        async () => ((await fetch(`http://127.0.0.1:${ports.livekit}/`)).status === 200 ? true : undefined),
        30_000,
      ),
      livekit.exited().then((code) => {
        throw new Error(
          `livekit-server (lever "${lever.name}") exited with ${code}:\n${livekit.output().slice(-2000)}`,
        );
      }),
    ]);
  } catch (error) {
    await livekit.stop();
    throw error;
  }
  return {
    pid: livekit.child.pid!,
    url: `ws://127.0.0.1:${ports.livekit}`,
    metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
    stop: async () => {
      if (cpuProfile) {
        // LiveKit writes its profile only when it exits cleanly, and a clean exit waits for the last participants'
        // departures: more than the 5 s stop() gives before SIGKILL.
        livekit.child.kill("SIGTERM");
        await Promise.race([livekit.exited(), sleep(PROFILE_EXIT_GRACE_MS)]);
      }
      await livekit.stop();
    },
  };
}
