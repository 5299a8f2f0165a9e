// The Go listener crowd (tools/loadgen) against a real livekit-server running
// the rendered config, with a guide publishing as tour/audio.ts does (Opus
// with RED, 20 ms frames: 50 packets a second). Both clients must hear every
// packet: the lean one counts RTP at its shared socket without decrypting or
// sending any RTCP, so this also shows LiveKit keeps sending without it.
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Room } from "@livekit/rtc-node";
import { AccessToken } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localLivekitConfig, type LocalPorts, pickLocalPorts, startLivekit, startRedis } from "../../local/livekit";
import { rtcMediaPorts } from "../../templates/livekit";
import { type Running } from "../../local/processes";
import { publishGuideSignal, type GuideSignal } from "../../tour/audio";
import { disposeClients, leaveRooms } from "../../tour/rooms";
import { TEST_SECRETS, testModel } from "../support/fixtures";

const model = testModel({ webhook: { url: "http://127.0.0.1:9/livekit-webhook" } });
const ROOM = "loadgen-check";
const LISTENERS = 20;
const HOLD_MS = 6_000;
let loadgen: string;

interface Report {
  connected: number;
  failed: number;
  subscribed: number;
  packets: number;
  bytes: number;
  lost: number;
  silent: number;
  reports: number;
  delay: { upToMs: number[]; packets: number[] };
}

async function token(identity: string, secret: string = TEST_SECRETS.apiSecret, canPublish = false): Promise<string> {
  const t = new AccessToken(TEST_SECRETS.apiKey, secret, { identity });
  t.addGrant({ roomJoin: true, room: ROOM, canPublish, canSubscribe: !canPublish });
  return t.toJwt();
}

/** Runs loadgen with the given arguments; joins arrive as JSON lines. */
function crowd(args: string[]) {
  const child = spawn(loadgen, args, { stdio: ["pipe", "pipe", "pipe"] });
  const reports: Report[] = [];
  let stderr = "";
  createInterface({ input: child.stdout! }).on("line", (line) => reports.push(JSON.parse(line) as Report));
  child.stderr!.on("data", (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    reports,
    stderr: () => stderr,
    latest: (): Report | undefined => reports.at(-1),
    join: (id: string, url: string, jwt: string) => child.stdin!.write(`${JSON.stringify({ id, url, token: jwt })}\n`),
    /** Closes stdin (the clean leave) and waits at most 15 s for the exit code. */
    async leave() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
type Crowd = ReturnType<typeof crowd>;

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(() => {
  // This branch's build, by path: the cache's `loadgen` link may point at
  // another checkout's build by the time the test runs.
  const built = execFileSync("bash", ["scripts/build-tools.sh", "loadgen"], { encoding: "utf8", timeout: 600_000 });
  loadgen = /loadgen (?:cached|built) at (\S+)/.exec(built)![1]!;
}, 600_000);
// Once, at the end: rtc-node's native client cannot connect again after it is disposed.
afterAll(() => disposeClients());

type Client = "lean" | "lean-polled" | "lean-ports" | "lean-addrs" | "sdk";
type Rtc = ReturnType<typeof localLivekitConfig>["rtc"];

/** A UDP port free on loopback (freePort checks TCP). */

// The port range, with every client; and the rendered mux (moved to one free
// port here), which tells peers apart by their address: the lean crowd's one
// shared socket cannot join it; a port per listener can, an address per
// listener on one socket can, and so can the SDK.
const SERVERS: { name: string; rtc: (rtc: Rtc) => Promise<Rtc>; clients: readonly Client[] }[] = [
  {
    name: "port range",
    rtc: async ({ udp_port: _mux, batch_io: _batch, ...rtc }) => ({
      ...rtc,
      ...rtcMediaPorts({ mode: "range" }),
    }),
    clients: ["lean", "lean-polled", "lean-ports", "lean-addrs", "sdk"],
  },
  { name: "rendered UDP mux", rtc: async (rtc) => rtc, clients: ["lean-ports", "lean-addrs", "sdk"] },
];

describe.each(SERVERS)("loadgen listen under livekit-server, $name", ({ name, rtc, clients }) => {
  let redis: Running;
  let livekit: Running;
  let ports: LocalPorts;
  let url: string;
  let guide: Room;
  let signal: GuideSignal;

  beforeAll(async () => {
    ports = await pickLocalPorts();
    redis = await startRedis(model, ports);
    const config = localLivekitConfig(model, ports);
    livekit = await startLivekit({ ...config, rtc: await rtc(config.rtc) }, ports.livekit);
    url = `ws://127.0.0.1:${ports.livekit}`;
    guide = new Room();
    await guide.connect(url, await token("guide", TEST_SECRETS.apiSecret, true), {
      autoSubscribe: false,
      dynacast: false,
    });
    signal = await publishGuideSignal(guide);
  }, 600_000);
  afterAll(async () => {
    await signal?.stop();
    if (guide) await leaveRooms([guide]);
    await livekit?.stop();
    await redis?.stop();
  });

  async function hold(
    client: Client,
    extra: readonly string[] = [],
  ): Promise<{ crowd: Crowd; rate: number; last: Report; reportRate: number }> {
    const c = crowd(["listen", "--client", client, ...extra]);
    for (let i = 0; i < LISTENERS; i++) c.join(`${client}-${i}`, url, await token(`${client}-${i}`));
    await until(
      `${client} listeners to connect and subscribe`,
      () => {
        const r = c.latest();
        return r !== undefined && r.connected === LISTENERS && r.subscribed === LISTENERS && r.silent === 0;
      },
      30_000,
    );
    const from = c.latest()!;
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const last = c.latest()!;
    const seconds = c.reports.indexOf(last) - c.reports.indexOf(from);
    const perListener = (key: "packets" | "reports") => (last[key] - from[key]) / seconds / LISTENERS;
    return { crowd: c, rate: perListener("packets"), last, reportRate: perListener("reports") };
  }

  for (const client of clients) {
    it(`${client}: ${LISTENERS} listeners each receive the guide's 50 packets a second, none lost, none silent`, async () => {
      const { crowd: c, rate, last } = await hold(client);
      expect(rate).toBeGreaterThan(45);
      expect(rate).toBeLessThan(55);
      expect(last).toMatchObject({ connected: LISTENERS, failed: 0, subscribed: LISTENERS, lost: 0, silent: 0 });
      expect(last.bytes / last.packets).toBeGreaterThan(40);
      expect(last.reports).toBe(0);
      // Only the crowd with an address per listener reads the kernel's arrival stamps: it measures every packet's
      // delay against its stream's fastest (one bucket past the bounds for the latest). The report reads the count and
      // the histogram one after the other while packets arrive: a batch apart at most.
      const delayed = last.delay.packets.reduce((a, b) => a + b, 0);
      expect(last.delay.packets).toHaveLength(last.delay.upToMs.length + 1);
      if (client === "lean-addrs") expect(Math.abs(delayed - last.packets)).toBeLessThan(100);
      else expect(delayed).toBe(0);
      expect(await c.leave()).toBe(0);
      expect(c.stderr()).toBe("");
    }, 90_000);
  }

  // A phone's libwebrtc reports on received audio about every 5 s; the SDK crowd's pion every second, with an
  // extended report beside each receiver report.
  const STYLES = [
    {
      client: "lean",
      reports: "sdk",
      what: "a receiver and an extended report a second, as the SDK's",
      low: 1.6,
      high: 2.4,
    },
    {
      client: "lean-addrs",
      reports: "phone",
      what: "a receiver report about every 5 s, as a phone's",
      low: 0.08,
      high: 0.4,
    },
  ] as const;
  for (const style of name === "port range" ? STYLES : []) {
    it(`${style.client} --reports ${style.reports}: each listener also sends ${style.what}`, async () => {
      const { crowd: c, rate, last, reportRate } = await hold(style.client, ["--reports", style.reports]);
      expect(reportRate).toBeGreaterThan(style.low);
      expect(reportRate).toBeLessThan(style.high);
      expect(rate).toBeGreaterThan(45);
      expect(last).toMatchObject({ connected: LISTENERS, failed: 0, lost: 0, silent: 0 });
      expect(await c.leave()).toBe(0);
      expect(c.stderr()).toBe("");
    }, 90_000);
  }

  for (const client of name === "port range" ? (["lean", "sdk"] as const) : []) {
    it(`${client}: a listener with a forged token counts as failed and is named on stderr`, async () => {
      const c = crowd(["listen", "--client", client]);
      c.join("forged-listener", url, await token("forged-listener", "another-secret-0123456789abcdefghijklmnop"));
      await until("the forged join to fail", () => (c.latest()?.failed ?? 0) === 1, 30_000);
      expect(c.latest()).toMatchObject({ connected: 0, failed: 1, subscribed: 0, silent: 0 });
      expect(c.stderr()).toMatch(/^loadgen: forged-listener could not join: .*(401|invalid token)/);
      expect(c.stderr()).not.toContain("eyJ");
      expect(await c.leave()).toBe(0);
    }, 60_000);
  }
});

describe("loadgen listen's arguments", () => {
  it("refuses an unknown client, naming the flag", async () => {
    const c = crowd(["listen", "--client", "fast"]);
    expect(await c.leave()).toBe(2);
    expect(c.stderr()).toContain("--client must be lean, lean-polled, lean-ports, lean-addrs or sdk");
  });

  it("refuses --reports for the SDK client, which sends its own, and a style it does not know", async () => {
    for (const [args, says] of [
      [
        ["--client", "sdk", "--reports", "sdk"],
        "--reports is for the lean clients; the sdk client sends its own reports",
      ],
      [["--client", "lean", "--reports", "often"], '--reports must be none, phone or sdk, not "often"'],
    ] as const) {
      const c = crowd(["listen", ...args]);
      expect(await c.leave()).toBe(2);
      expect(c.stderr()).toContain(says);
    }
  });
});
