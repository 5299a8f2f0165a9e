// The host of the restart benchmark: the local platform (real Redis and
// livekit-server from the rendered files, the token function) with the
// rendered Caddy in front of LiveKit's signalling, as on the server, and a
// way to restart each of them as Docker restarts a container: SIGTERM, up to
// the stop grace period to exit, then SIGKILL, then the same program started
// again on the same files and ports. Docker's own start-up time (a new
// container, typically under a second) is not in these figures.
//
// Caddy departs from the rendered caddy.yaml in what only a real host has:
// certificates come from a throwaway test CA (as in the network lab), it
// listens on a free loopback port instead of :443, its proxy dials the local
// LiveKit port, and its admin endpoint moves to a free port. The LiveKit host
// name must resolve to 127.0.0.1 (bench/restarts.ts runs in a mount
// namespace whose /etc/hosts says so).
import { connect } from "node:net";
import { type LocalPlatform, startLocalPlatform } from "../local/platform";
import { localLivekitConfig, startLivekit, startRedis } from "../local/livekit";
import { labCaddyConfig, type TestCa } from "../local/netHost";
import { freePort, goTool, type Running, start, waitFor } from "../local/processes";
import { tempDir, writeTemp } from "../local/temp";
import { renderHost } from "../templates";

/** Compose's default stop grace period, which Redis and Caddy keep. */
export const DOCKER_DEFAULT_GRACE_MS = 10_000;

export interface BenchHost {
  readonly platform: LocalPlatform;
  readonly ca: TestCa;
  /** wss:// URL through Caddy, as the app connects. */
  readonly url: string;
  /** Restarts the process; resolves with how the old one ended. */
  restartRedis(): Promise<string>;
  restartCaddy(): Promise<string>;
  /** `secondSignal`: a second SIGTERM after `graceMs`, LiveKit's forced stop, instead of Docker's SIGKILL. */
  restartLivekit(graceMs: number, secondSignal?: boolean): Promise<string>;
  stop(): Promise<void>;
}

/** SIGTERM, then `second` (SIGKILL as Docker does, or another signal) if it has not exited after graceMs. */
async function stopLikeDocker(running: Running, graceMs: number, second: NodeJS.Signals = "SIGKILL"): Promise<string> {
  const t0 = performance.now();
  const exited = running.exited().then(() => true);
  running.child.kill("SIGTERM");
  const inGrace = await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), graceMs))]);
  if (inGrace) return `exited ${Math.round(performance.now() - t0)} ms after SIGTERM`;
  running.child.kill(second);
  const after = await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), 15_000))]);
  if (!after) {
    running.child.kill("SIGKILL");
    await exited;
    return `${second} after ${graceMs / 1000} s did not end it within 15 s: SIGKILL`;
  }
  return `still running after ${graceMs / 1000} s, ended by ${second} ${Math.round(performance.now() - t0 - graceMs)} ms later`;
}

interface CaddyLayer4 {
  apps: { layer4: { servers: { main: { listen: string[]; routes: CaddyRoute[] } } } };
}
interface CaddyRoute {
  match: { tls: { sni: string[] } }[];
  handle: { handler: string; upstreams?: unknown }[];
}

function caddyConfig(platform: LocalPlatform, ca: TestCa, port: number, adminPort: number): Record<string, unknown> {
  const caddyYaml = renderHost(platform.model).files.find((f) => f.name === "caddy.yaml")!.content;
  const config = labCaddyConfig(caddyYaml, ca, tempDir());
  const main = (config as unknown as CaddyLayer4).apps.layer4.servers.main;
  main.listen = [`127.0.0.1:${port}`];
  const route = main.routes.find((r) => r.match[0]!.tls.sni.includes(platform.model.livekitHost));
  const proxy = route?.handle.find((h) => h.handler === "proxy");
  if (!proxy) throw new Error("caddy.yaml has no proxy route for the LiveKit host");
  proxy.upstreams = [{ dial: [`127.0.0.1:${platform.ports.livekit}`] }];
  return { ...config, admin: { listen: `127.0.0.1:${adminPort}` } };
}

const acceptsTcp = (port: number) =>
  new Promise<true | undefined>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(undefined));
  });

async function startCaddy(configFile: string, port: number): Promise<Running> {
  const caddy = start(goTool("caddy"), ["run", "--config", configFile]);
  await Promise.race([
    waitFor(`Caddy on 127.0.0.1:${port}`, () => acceptsTcp(port), 15_000, 100),
    caddy.exited().then((code) => {
      throw new Error(`caddy exited with ${code}:\n${caddy.output()}`);
    }),
  ]);
  return caddy;
}

/** `ca` must be trusted by the clients (SSL_CERT_FILE) and name the local host model's LiveKit host. */
export async function startBenchHost(ca: TestCa): Promise<BenchHost> {
  const platform = await startLocalPlatform();
  /** What this host started beyond the platform's own processes, which platform.stop() ends. */
  const started = new Set<Running>();
  const replace = (old: Running, next: Running) => {
    started.delete(old);
    started.add(next);
    return next;
  };
  try {
    const { model, ports } = platform;
    const port = await freePort();
    const configFile = writeTemp("caddy.json", JSON.stringify(caddyConfig(platform, ca, port, await freePort())));
    let caddy = await startCaddy(configFile, port);
    started.add(caddy);
    let redis = platform.redis;
    let livekit = platform.livekit;
    return {
      platform,
      ca,
      url: `wss://${model.livekitHost}:${port}`,
      async restartRedis() {
        const how = await stopLikeDocker(redis, DOCKER_DEFAULT_GRACE_MS);
        redis = replace(redis, await startRedis(model, ports));
        return how;
      },
      async restartCaddy() {
        const how = await stopLikeDocker(caddy, DOCKER_DEFAULT_GRACE_MS);
        caddy = replace(caddy, await startCaddy(configFile, port));
        return how;
      },
      async restartLivekit(graceMs, secondSignal = false) {
        const how = await stopLikeDocker(livekit, graceMs, secondSignal ? "SIGTERM" : "SIGKILL");
        livekit = replace(livekit, await startLivekit(localLivekitConfig(model, ports), ports.livekit));
        return how;
      },
      async stop() {
        for (const running of started) await running.stop();
        await platform.stop();
      },
    };
  } catch (error) {
    for (const running of started) await running.stop();
    await platform.stop();
    throw error;
  }
}
