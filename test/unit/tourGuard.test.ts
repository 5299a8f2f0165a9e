// The active-tour guard's shell fragment, run by bash with the host's python3
// against a stand-in RoomService (test/support/fakeRoomService.ts): the cases
// a real server cannot easily show. test/tools/tourGuard.test.ts runs it
// against a real livekit-server with real participants.
import { spawn } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/processes";
import { tempDir } from "../../local/temp";
import { tourGuardScript, type TourGuardOptions } from "../../templates/tourGuard";
import { type FakeRoomService, startFakeRoomService } from "../support/fakeRoomService";
import { TEST_SECRETS } from "../support/fixtures";

let service: FakeRoomService;
beforeAll(async () => {
  service = await startFakeRoomService();
});
afterAll(() => service?.close());

function guard(options: Partial<TourGuardOptions>, env: Record<string, string> = { PATH: process.env.PATH! }) {
  const script = `${tourGuardScript({
    mode: "refuse",
    waitSeconds: 0,
    pollSeconds: 1,
    livekitUrl: service.url,
    livekitConfigPath: service.configPath,
    ...options,
  })}\nguard_active_tours`;
  const child = spawn("/bin/bash", ["--norc", "--noprofile", "-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise<{ status: number | null; output: string }>((resolve) =>
    child.once("exit", (status) => resolve({ status, output })),
  );
}

describe("the active-tour guard's shell fragment", { timeout: 30_000 }, () => {
  it("carries neither the API secret nor the key: it reads them on the host", () => {
    const script = tourGuardScript({ mode: "wait", waitSeconds: 1800 });
    expect(script).not.toContain(TEST_SECRETS.apiSecret);
    expect(script).toContain("'/opt/livekit/livekit.yaml'");
    expect(script).toContain("'http://127.0.0.1:7880'");
  });

  it("refuses a mode or a wait it does not know", () => {
    expect(() => tourGuardScript({ mode: "stop" as "refuse", waitSeconds: 0 })).toThrow(
      'mode must be one of refuse, wait, force, got "stop"',
    );
    expect(() => tourGuardScript({ mode: "wait", waitSeconds: -1 })).toThrow("waitSeconds must be a whole number");
  });

  it("goes ahead on a host where LiveKit has no config yet, or does not accept connections", async () => {
    const fresh = await guard({ livekitConfigPath: join(tempDir(), "livekit.yaml") });
    expect(fresh).toMatchObject({ status: 0 });
    expect(fresh.output).toContain("no LiveKit to ask, going ahead");
    const down = await guard({ livekitUrl: `http://127.0.0.1:${await freePort()}` });
    expect(down).toMatchObject({ status: 0 });
    expect(down.output).toContain("does not accept connections");
  });

  it("says so, and changes nothing, on a host without python3", async () => {
    const noPython = { PATH: join(tempDir(), "empty") };
    const refused = await guard({}, noPython);
    expect(refused.status).toBe(2);
    expect(refused.output).toContain("python3 is missing on the host");
    expect(refused.output).toContain("Nothing on the host was changed.");
    expect((await guard({ mode: "force" }, noPython)).status).toBe(0);
  });

  it("reads a config path with a quote and spaces in it", async () => {
    const odd = join(tempDir(), "it's a livekit.yaml");
    copyFileSync(service.configPath, odd);
    service.rooms.set("tour-quoted", 2);
    try {
      const result = await guard({ livekitConfigPath: odd });
      expect(result.status).toBe(1);
      expect(result.output).toContain("tour-quoted: 2 participants, end unknown");
    } finally {
      service.rooms.clear();
    }
  });

  it("wait: looks again until the room empties, printing the rooms it waits for", async () => {
    service.rooms.set("tour-slow", 1);
    setTimeout(() => service.rooms.set("tour-slow", 0), 5_000);
    try {
      const result = await guard({ mode: "wait", waitSeconds: 25 });
      expect(result.status, result.output).toBe(0);
      expect(result.output.match(/waiting for 1 room to empty/g)!.length).toBeGreaterThanOrEqual(2);
      expect(result.output).toContain("every room is empty now, going ahead");
    } finally {
      service.rooms.clear();
    }
  });

  it("fails closed when LiveKit answers with an error, unless forced", async () => {
    const wrongPath = { livekitUrl: `${service.url}/nowhere` };
    const refused = await guard({ mode: "wait", waitSeconds: 5, ...wrongPath });
    expect(refused.status).toBe(2);
    expect(refused.output).toMatch(/cannot tell which rooms are on air: LiveKit answered ListRooms with HTTP 401/);
    const forced = await guard({ mode: "force", ...wrongPath });
    expect(forced.status).toBe(0);
    expect(forced.output).toContain("activeTours is force: going ahead regardless");
  });
});
