// The active-tour guard run by bash for real, asking a real livekit-server
// (started with the rendered livekit.yaml) about rooms a real participant
// (@livekit/rtc-node) is in, joined with a token whose roomConfig carries the
// tour's end exactly as the token function mints it. The refusal and the
// wait-then-apply cases run the whole apply script on a stand-in host (stub
// systemctl/docker), so "nothing changed" is checked on the files themselves.
import "../../tour/quietLogs";
import { Room } from "@livekit/rtc-node";
import { AccessToken, RoomConfiguration } from "livekit-server-sdk";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { grantsFor, tourRoomMetadata } from "../../functions/livekit-token/grants";
import { freePort, type Running } from "../../local/processes";
import { localLivekitConfig, type LocalPorts, pickLocalPorts, startLivekit, startRedis } from "../../local/livekit";
import { tempDir, writeTemp } from "../../local/temp";
import { HOST_FILE_LAYOUT } from "../../templates";
import { SERVICE_NAMES } from "../../templates/compose";
import { applyScript } from "../../templates/deployScripts";
import { tourGuardScript, type TourGuardOptions } from "../../templates/tourGuard";
import { disposeClients, leaveRooms } from "../../tour/rooms";
import { TEST_SECRETS, testModel } from "../support/fixtures";

const model = testModel();
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let redis: Running;
let livekit: Running;
let ports: LocalPorts;
let livekitUrl: string;
let livekitYaml: string;
const joined: Room[] = [];

beforeAll(async () => {
  ports = await pickLocalPorts();
  const config = localLivekitConfig(model, ports);
  // Other tests' servers may hold the rendered fixed ports (RTC TCP, TURN); the guard needs neither.
  const local = {
    ...config,
    rtc: { ...config.rtc, tcp_port: await freePort() },
    turn: { ...config.turn, enabled: false },
  };
  redis = await startRedis(model, ports);
  livekit = await startLivekit(local, ports.livekit);
  livekitUrl = `http://127.0.0.1:${ports.livekit}`;
  // The guard reads the key from the config as rendered, as it does on the host.
  livekitYaml = writeTemp("livekit.yaml", stringify(local));
}, 60_000);
afterEach(async () => {
  expect(await leaveRooms(joined.splice(0))).toBe(0);
});
afterAll(async () => {
  await disposeClients();
  await livekit?.stop();
  await redis?.stop();
});

/** A listener joins the tour's room, with the token function's grants and room metadata. */
async function listenerJoins(room: string, tourEndsAt?: Date): Promise<Room> {
  const token = new AccessToken(TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret, { identity: `listener-${room}` });
  token.addGrant(grantsFor("listener", room));
  if (tourEndsAt) token.roomConfig = new RoomConfiguration({ metadata: tourRoomMetadata(tourEndsAt) });
  const client = new Room();
  await client.connect(`ws://127.0.0.1:${ports.livekit}`, await token.toJwt(), {
    autoSubscribe: false,
    dynacast: false,
  });
  joined.push(client);
  return client;
}

function bash(script: string, env: Record<string, string> = {}, timeoutMs = 60_000) {
  const child = spawn("bash", ["--norc", "--noprofile", "-c", script], {
    env: { PATH: process.env.PATH!, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => (stderr += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise<{ status: number | null; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    child.once("exit", (status) => {
      clearTimeout(killer);
      resolve({ status, stderr, ms: Date.now() - started });
    });
  });
}

const guardOptions = (options: Partial<TourGuardOptions>): TourGuardOptions => ({
  mode: "refuse",
  waitSeconds: 0,
  pollSeconds: 1,
  livekitUrl,
  livekitConfigPath: livekitYaml,
  ...options,
});

const runGuard = (options: Partial<TourGuardOptions>) =>
  bash(`${tourGuardScript(guardOptions(options))}\nguard_active_tours`);

/** A stand-in host with two files staged for change, and the apply script as the deployment renders it. */
function standInHost(guard: Partial<TourGuardOptions>) {
  const root = tempDir();
  const bin = join(root, "bin");
  mkdirSync(bin);
  const stubs: Record<string, string> = {
    "cloud-init": "exit 0",
    journalctl: "exit 0",
    systemctl: 'echo "$*" >> "$FAKE_HOST/systemctl.log"',
    docker: `echo "$*" >> "$FAKE_HOST/docker.log"; printf '%s\\n' ${SERVICE_NAMES.join(" ")}`,
  };
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const files = (["redis.conf", "caddy.yaml"] as const).map((name) => ({
    name,
    path: join(root, "opt/livekit", name),
    services: HOST_FILE_LAYOUT.find((f) => f.name === name)!.services,
  }));
  const staging = join(root, "opt/livekit/.staged");
  mkdirSync(staging, { recursive: true });
  for (const f of files) {
    writeFileSync(f.path, `${f.name} old\n`);
    writeFileSync(join(staging, f.name), `${f.name} new\n`);
  }
  const script = applyScript(
    files.map((f) => ({ ...f, sha256: sha256(`${f.name} new\n`) })),
    {
      healthSeconds: 2,
      healthUrl: `${livekitUrl}/`,
      stagingDir: staging,
      previousDir: join(root, "opt/livekit/.previous"),
      tourGuard: guardOptions(guard),
    },
  );
  return {
    apply: () => bash(script, { PATH: `${bin}:${process.env.PATH}`, FAKE_HOST: root }),
    live: () => files.map((f) => readFileSync(f.path, "utf8")),
    staged: () => files.map((f) => existsSync(join(staging, f.name))),
    /** The calls that restarted something: systemd's whole-stack restart, or compose recreating containers. */
    restarted: () =>
      ["systemctl.log", "docker.log"]
        .filter((log) => existsSync(join(root, log)))
        .flatMap((log) => readFileSync(join(root, log), "utf8").split("\n"))
        .filter((line) => line.startsWith("restart") || / up /.test(line)),
    root: dirname(staging),
  };
}

describe("the active-tour guard against a real livekit-server", { timeout: 90_000 }, () => {
  it("goes ahead when no room has anyone in it", async () => {
    const result = await runGuard({ mode: "refuse" });
    expect(result.stderr).toContain("no room has participants, going ahead");
    expect(result.status).toBe(0);
  });

  it("refuse: the apply fails naming each room, its participants and its tour's end, and changes nothing", async () => {
    const endsAt = new Date(Date.now() + 42 * 60_000);
    await listenerJoins("tour-old-town", endsAt);
    await listenerJoins("tour-harbour");
    const host = standInHost({ mode: "refuse" });

    const result = await host.apply();

    expect(result.status, result.stderr).not.toBe(0);
    expect(result.stderr).toContain("2 rooms on air; activeTours is refuse");
    expect(result.stderr).toMatch(
      new RegExp(`tour-old-town: 1 participant, tour ends ${endsAt.toISOString()} \\(in 4[01] min\\)`),
    );
    expect(result.stderr).toContain("tour-harbour: 1 participant, end unknown");
    expect(result.stderr).toContain("pulumi config set roamcast:activeTours wait");
    expect(host.live()).toEqual(["redis.conf old\n", "caddy.yaml old\n"]);
    expect(host.staged()).toEqual([true, true]);
    expect(host.restarted()).toEqual([]);
    expect(result.stderr).not.toContain(TEST_SECRETS.apiSecret);
  });

  it("wait: applies once the last participant leaves, within the wait", async () => {
    const listener = await listenerJoins("tour-cathedral", new Date(Date.now() + 3_600_000));
    const host = standInHost({ mode: "wait", waitSeconds: 30 });
    setTimeout(() => void listener.disconnect(), 4_000);

    const result = await host.apply();

    expect(result.stderr).toMatch(/waiting for 1 room to empty, \d+ s left: tour-cathedral \(1\)/);
    expect(result.stderr).toContain("every room is empty now, going ahead");
    expect(result.status, result.stderr).toBe(0);
    expect(result.ms).toBeGreaterThan(3_000);
    expect(result.ms).toBeLessThan(30_000);
    expect(host.live()).toEqual(["redis.conf new\n", "caddy.yaml new\n"]);
    expect(host.restarted().join("\n")).toMatch(/--force-recreate .*caddy/);
  });

  it("wait: refuses when the rooms are still occupied when the wait runs out", async () => {
    await listenerJoins("tour-castle");
    const result = await runGuard({ mode: "wait", waitSeconds: 3 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("still 1 room on air after waiting 3 s");
    expect(result.stderr).toContain("tour-castle: 1 participant, end unknown");
    expect(result.ms).toBeGreaterThanOrEqual(3_000);
  });

  it("force: goes ahead and names the rooms that will drop", async () => {
    const endsAt = new Date(Date.now() + 90 * 60_000);
    await listenerJoins("tour-market", endsAt);
    const result = await runGuard({ mode: "force" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("activeTours is force: going ahead; these rooms drop");
    expect(result.stderr).toContain(`tour-market: 1 participant, tour ends ${endsAt.toISOString()}`);
  });

  it("fails closed when LiveKit refuses the key, and says how to go ahead anyway", async () => {
    const wrongKey = writeTemp("livekit.yaml", stringify({ keys: { APIotherKey: "another-secret-0123456789abcdef" } }));
    const result = await runGuard({ mode: "refuse", livekitConfigPath: wrongKey });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot tell which rooms are on air: LiveKit answered ListRooms with HTTP 401/);
    expect(result.stderr).toContain("set roamcast:activeTours force for one run");
  });
});
