// The deploy scripts run for real by bash in a temporary folder standing in
// for the host (test/support/fakeHost.ts: only the container runtime and the
// service manager are stand-ins).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOST_FILE_LAYOUT } from "../../templates";
import { SERVICE_NAMES } from "../../templates/compose";
import { sshReachableScript } from "../../templates/deployScripts";
import { freePort, systemTool } from "../../local/processes";
import {
  clearLogs,
  composeActions,
  type FakeHost,
  deployment as deploy,
  fakeHost,
  live,
  restarts,
} from "../support/fakeHost";
import { type FakeRoomService, startFakeRoomService } from "../support/fakeRoomService";

let healthServer: Server;
let healthUrl: string;
let roomService: FakeRoomService;
beforeAll(async () => {
  const port = await freePort();
  healthServer = createServer((_, res) => res.end("OK"));
  await new Promise<void>((r) => healthServer.listen(port, "127.0.0.1", r));
  healthUrl = `http://127.0.0.1:${port}/`;
  roomService = await startFakeRoomService();
});
afterAll(async () => {
  healthServer?.close();
  await roomService?.close();
});

const deployment = (host: FakeHost, contents: Record<string, string>) =>
  deploy(host, contents, healthUrl, {
    mode: "refuse",
    waitSeconds: 0,
    livekitUrl: roomService.url,
    livekitConfigPath: roomService.configPath,
  });

/** One line per service in the compose file, as the stub runtime's config hash reads it. */
const GOOD: Record<string, string> = {
  ...Object.fromEntries(HOST_FILE_LAYOUT.map((f) => [f.name, `${f.name} v1\n`])),
  "docker-compose.yaml": SERVICE_NAMES.map((s) => `${s}: image v1\n`).join(""),
};
const ALL = HOST_FILE_LAYOUT.map((f) => f.name);

describe("the deploy scripts on a stand-in host", { timeout: 60_000 }, () => {
  it("a first deployment writes every file onto a fresh host, with its mode, and starts the stack", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD);
    await first.stage(ALL);
    const result = await first.apply();
    expect(result.status, result.stderr).toBe(0);
    for (const f of host.files) {
      expect(readFileSync(f.path, "utf8")).toBe(GOOD[f.name]);
      expect((statSync(f.path).mode & 0o777).toString(8).padStart(4, "0"), f.name).toBe(f.mode);
    }
    expect(restarts(host)).toBe(1);
  });

  it("after a failed health check, the next up applies the intended files again instead of reporting success on the old ones", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD);
    await first.stage(ALL);
    expect((await first.apply()).status).toBe(0);

    const broken = { ...GOOD, "livekit.yaml": "livekit.yaml v2 BROKEN\n" };
    const bad = deployment(host, broken);
    await bad.stage(["livekit.yaml"]);
    const failed = await bad.apply();
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("restoring the previous files");
    expect(live(host, "livekit.yaml")).toBe(GOOD["livekit.yaml"]);

    // The next `up`: the staging steps have nothing to do, only the failed apply runs again.
    const again = await bad.apply();
    expect(again.status, again.stdout + again.stderr).toBe(1);
    expect(again.stdout).not.toContain("healthy");
    expect(live(host, "livekit.yaml")).toBe(GOOD["livekit.yaml"]);

    // A fixed change is staged and applied; the staging folder is left empty.
    const fixed = { ...GOOD, "livekit.yaml": "livekit.yaml v3\n" };
    const good = deployment(host, fixed);
    await good.stage(["livekit.yaml"]);
    const applied = await good.apply();
    expect(applied.status, applied.stderr).toBe(0);
    expect(live(host, "livekit.yaml")).toBe(fixed["livekit.yaml"]);
    expect(readdirSync(host.staging)).toEqual([]);
  });

  it("never installs a staged copy that is not the intended content over a live file that is", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD);
    await first.stage(ALL);
    expect((await first.apply()).status).toBe(0);
    // A change staged, then reverted before it was applied: only the staged copy is stale.
    await deployment(host, { ...GOOD, "caddy.yaml": "caddy.yaml v2\n" }).stage(["caddy.yaml"]);
    const result = await deployment(host, GOOD).apply();
    expect(result.status, result.stderr).toBe(0);
    expect(live(host, "caddy.yaml")).toBe(GOOD["caddy.yaml"]);
    expect(readdirSync(host.staging)).toEqual([]);
  });

  it("asks LiveKit who is on air before touching anything: an occupied room leaves every file as it was", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD);
    await first.stage(ALL);
    expect((await first.apply()).status).toBe(0);
    roomService.calls.length = 0;
    roomService.rooms.set("tour-on-air", 3);
    clearLogs(host);
    try {
      const changed = deployment(host, { ...GOOD, "caddy.yaml": "caddy.yaml v2\n" });
      await changed.stage(["caddy.yaml"]);
      const result = await changed.apply();
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("tour-on-air: 3 participants, end unknown");
      expect(roomService.calls).toEqual(["ListRooms", "ListParticipants"]);
      expect(live(host, "caddy.yaml")).toBe(GOOD["caddy.yaml"]);
      expect(readdirSync(host.previous)).not.toContain("caddy.yaml");
      expect(readdirSync(host.staging)).toEqual(["caddy.yaml"]);
      expect(composeActions(host)).toEqual([]);

      roomService.rooms.set("tour-on-air", 0);
      const afterTour = await changed.apply();
      expect(afterTour.status, afterTour.stderr).toBe(0);
      expect(live(host, "caddy.yaml")).toBe("caddy.yaml v2\n");
      expect(composeActions(host)).toEqual(["pull caddy", "recreate caddy"]);
    } finally {
      roomService.rooms.clear();
    }
  });

  it("does not ask who is on air when no tour-carrying service restarts: a monitoring or Redis change goes ahead", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD);
    await first.stage(ALL);
    expect((await first.apply()).status).toBe(0);
    roomService.rooms.set("tour-on-air", 3);
    let contents = GOOD;
    try {
      for (const name of ["prometheus.yml", "redis.conf"] as const) {
        roomService.calls.length = 0;
        clearLogs(host);
        contents = { ...contents, [name]: `${name} v2\n` };
        const changed = deployment(host, contents);
        await changed.stage([name]);
        const result = await changed.apply();
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain("live tours not asked about");
        expect(roomService.calls).toEqual([]);
        expect(live(host, name)).toBe(`${name} v2\n`);
        const service = name === "redis.conf" ? "redis" : "prometheus";
        expect(composeActions(host)).toEqual([`pull ${service}`, `recreate ${service}`]);
      }
    } finally {
      roomService.rooms.clear();
    }
  });

  it("refuses, before restarting anything, when a file is neither staged nor live as intended, naming it", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD);
    await first.stage(ALL);
    expect((await first.apply()).status).toBe(0);

    // The intended caddy.yaml never reached the host (its staged copy was lost).
    const changed = deployment(host, { ...GOOD, "caddy.yaml": "caddy.yaml v2\n" });
    const result = await changed.apply();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("caddy.yaml");
    expect(result.stderr).toMatch(/pulumi up --replace/);
    expect(restarts(host)).toBe(1);
    expect(live(host, "caddy.yaml")).toBe(GOOD["caddy.yaml"]);
    expect(dirname(host.staging)).toBe(join(host.root, "opt/livekit"));
  });
});

describe("the reachability check before the deploy's SSH steps", { timeout: 60_000 }, () => {
  const check = (host: string, port: number, attempts = 3) =>
    new Promise<{ status: number | null; stderr: string; seconds: number }>((resolve) => {
      const started = Date.now();
      const script = sshReachableScript({ port, attempts, connectSeconds: 1, pauseSeconds: 1 });
      const child = spawn("bash", ["--norc", "--noprofile", "-c", script], {
        env: { PATH: process.env.PATH, ROAMCAST_DEPLOY_HOST: host },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.once("exit", (status) => resolve({ status, stderr, seconds: (Date.now() - started) / 1000 }));
    });

  it("passes at once when 22/tcp answers", async () => {
    const port = await freePort();
    const server = createNetServer((socket) => socket.end());
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    try {
      const result = await check("127.0.0.1", port);
      expect(result.status, result.stderr).toBe(0);
      expect(result.seconds).toBeLessThan(2);
    } finally {
      server.close();
    }
  });

  it("fails within its bound, saying what to check, when the port is closed or filtered", async () => {
    const closedPort = await freePort();
    const closed = await check("127.0.0.1", closedPort);
    const filtered = await withSilentPort(async (port) => ({ port, ...(await check("127.0.0.1", port, 2)) }));
    const hint =
      "not reachable from this runner's address; is it in operatorCidrs / did the workflow open the deploy rule?";
    expect(filtered.stderr).toContain(`127.0.0.1: ${filtered.port}/tcp ${hint}`);
    expect(closed.stderr).toContain(`127.0.0.1: ${closedPort}/tcp ${hint}`);
    for (const result of [closed, filtered]) expect(result.status).toBe(1);
    expect(closed.seconds).toBeLessThan(3 * (1 + 1) + 2);
    // The silent port hung each attempt until the watchdog gave up: bounded, not refused.
    expect(filtered.seconds).toBeGreaterThanOrEqual(2);
    expect(filtered.seconds).toBeLessThan(2 * (1 + 1) + 2);
  });
});

/**
 * A port that never answers, as behind Hetzner's firewall, which drops rather
 * than refuses: a listener whose accept queue is full makes Linux drop new SYNs.
 */
async function withSilentPort<T>(use: (port: number) => Promise<T>): Promise<T> {
  const script = [
    "import socket, time",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    "fill = [socket.socket() for _ in range(3)]",
    "for c in fill:",
    "    c.setblocking(False)",
    "    try: c.connect(s.getsockname())",
    "    except BlockingIOError: pass",
    "time.sleep(0.3); print(s.getsockname()[1], flush=True); time.sleep(60)",
  ].join("\n");
  const child = spawn(systemTool("python3", "python3"), ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve) => child.stdout.once("data", (d) => resolve(Number(String(d)))));
    return await use(port);
  } finally {
    child.kill();
  }
}
