// `loadgen guide` against a real livekit-server running the rendered config:
// two guides with different levers (20 ms frames with RED; 60 ms without) and
// one that never talks, and what LiveKit made of them — the track's codec in
// its own room service, the packets it forwards to a listener in each room (the
// Go listener crowd, one per room), its Prometheus packet counter, an SDK
// listener decoding it, and the active speakers it names to SDK listeners.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";
import { Room, RoomEvent } from "@livekit/rtc-node";
import { AccessToken, RoomServiceClient, TrackSource } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, goTool, type Running, waitFor } from "../../local/processes";
import { localLivekitConfig, type LocalPorts, pickLocalPorts, startLivekit, startRedis } from "../../local/livekit";
import { listen, type ListenerEar } from "../../tour/audio";
import { disposeClients, leaveRooms } from "../../tour/rooms";
import { TEST_SECRETS, testModel } from "../support/fixtures";

const model = testModel();
const WINDOW_MS = 6_000;
// Packets a second from the three guides: 20 ms frames, 60 ms frames, and the quiet guide's 20 ms silence frames.
const GUIDES_RATE = 50 + 1000 / 60 + 50;

interface Totals {
  connected: number;
  failed: number;
  packets: number;
  bytes: number;
  published?: number;
  subscribed?: number;
  /** Guides: packets by how long after their slot was due they were sent. */
  late?: { upToMs: number[]; packets: number[] };
}

/** A loadgen process fed JSON lines, keeping its latest report and stderr. */
function loadgen(args: string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(goTool("loadgen"), args, { stdio: ["pipe", "pipe", "pipe"] });
  let latest: Totals = { connected: 0, failed: 0, packets: 0, bytes: 0 };
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (line) => (latest = JSON.parse(line) as Totals));
  child.stderr.on("data", (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    send: (line: string) => child.stdin.write(`${line}\n`),
    latest: () => latest,
    stderr: () => stderr,
    running: () => child.exitCode === null && child.signalCode === null,
    /** Closes stdin (the clean way out) and resolves with the exit code; SIGKILL after 15 s. */
    async close(): Promise<number | null> {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

async function token(identity: string, room: string, publish: boolean): Promise<string> {
  const t = new AccessToken(TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret, { identity });
  t.addGrant({ roomJoin: true, room, canPublish: publish, canSubscribe: !publish });
  return t.toJwt();
}

/** A UDP port free on every address (freePort checks TCP; busy machines hold many ephemeral UDP ports). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => socket.once("error", reject).bind(0, "0.0.0.0", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Sum of livekit_packet_total for one direction, over every label set. */
async function packetTotal(metricsUrl: string, direction: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split("\n"))
    if (line.startsWith("livekit_packet_total{") && line.includes(`direction="${direction}"`))
      sum += Number(line.split(" ").pop());
  return sum;
}

describe("loadgen guide publishes a phone's audio stream to LiveKit", () => {
  let redis: Running;
  let livekit: Running;
  let ports: LocalPorts;
  let url: string;
  let rooms: RoomServiceClient;
  let guides: ReturnType<typeof loadgen>;
  const listeners: Record<string, ReturnType<typeof loadgen>> = {};
  let sdkListener: Room;
  let ear: ListenerEar;
  // An SDK listener in the quiet guide's and the 60 ms guide's rooms (the decoding one is in tour-red20).
  const speakerListeners: Room[] = [];
  // Every identity LiveKit named an active speaker to each room's SDK listener.
  const spoke: Record<string, Set<string>> = {
    "tour-red20": new Set(),
    "tour-opus60": new Set(),
    "tour-quiet": new Set(),
  };

  beforeAll(async () => {
    ports = await pickLocalPorts();
    redis = await startRedis(model, ports);
    // The rendered RTC and TURN ports are fixed; other LiveKit servers on this machine may hold them.
    const config = localLivekitConfig(model, ports);
    const udpStart = 42_000 + Math.floor(Math.random() * 60) * 100;
    const { udp_port: _mux, batch_io: _batch, ...rendered } = config.rtc;
    const rtc = { ...rendered, tcp_port: await freePort(), port_range_start: udpStart, port_range_end: udpStart + 99 };
    const turn = { ...config.turn, udp_port: await freeUdpPort(), tls_port: await freePort() };
    livekit = await startLivekit({ ...config, rtc, turn }, ports.livekit);
    url = `ws://127.0.0.1:${ports.livekit}`;
    rooms = new RoomServiceClient(`http://127.0.0.1:${ports.livekit}`, TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret);
    guides = loadgen(["guide"]);
    guides.send("this is not json");
    guides.send(
      JSON.stringify({ id: "g-bad", url, token: await token("g-bad", "tour-x", true), frameMs: 30, red: true }),
    );
    const lever = (id: string, room: string, frameMs: number, red: boolean, speech = 1) =>
      token(id, room, true).then((t) =>
        guides.send(JSON.stringify({ id, url, token: t, frameMs, red, dtx: false, bitrateKbps: 32, speech })),
      );
    await lever("guide-red20", "tour-red20", 20, true);
    await lever("guide-opus60", "tour-opus60", 60, false);
    // A guide that never talks: LiveKit must never name it an active speaker.
    await lever("guide-quiet", "tour-quiet", 20, true, 0);
    await waitFor("the guides to publish", async () => (guides.latest().published === 3 ? true : undefined), 30_000);
    for (const room of ["tour-red20", "tour-opus60"]) {
      listeners[room] = loadgen([]);
      listeners[room].send(JSON.stringify({ id: `l-${room}`, url, token: await token(`l-${room}`, room, false) }));
    }
    sdkListener = new Room();
    ear = listen(sdkListener);
    const hear = (room: Room, name: string) =>
      room.on(RoomEvent.ActiveSpeakersChanged, (speakers) => speakers.forEach((p) => spoke[name]!.add(p.identity)));
    hear(sdkListener, "tour-red20");
    for (const name of ["tour-opus60", "tour-quiet"]) {
      const room = new Room();
      speakerListeners.push(room);
      hear(room, name);
      await room.connect(url, await token(`l-sdk-${name}`, name, false), { autoSubscribe: true, dynacast: false });
    }
    await sdkListener.connect(url, await token("l-sdk", "tour-red20", false), { autoSubscribe: true, dynacast: false });
    await waitFor(
      "each listener to receive packets",
      async () => (Object.values(listeners).every((l) => l.latest().packets > 0) ? true : undefined),
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    ear?.close();
    if (sdkListener) await leaveRooms([sdkListener]);
    await leaveRooms(speakerListeners);
    await disposeClients();
    for (const l of Object.values(listeners)) await l.close();
    await guides?.close();
    await livekit?.stop();
    await redis?.stop();
  });

  it("names the field of a bad line on stderr, and carries on with the good ones", () => {
    expect(guides.stderr()).toMatch(/line 1: not a JSON object/);
    expect(guides.stderr()).toMatch(/line 2: frameMs must be 20, 40 or 60 \(got 30\)/);
    expect(guides.stderr()).not.toMatch(/panic|goroutine/);
    expect(guides.running()).toBe(true);
    expect(guides.latest()).toMatchObject({ connected: 3, failed: 2, published: 3 });
  });

  it("is a RED microphone track to LiveKit with RED on, an Opus one without", async () => {
    const track = async (room: string) => {
      const guide = (await rooms.listParticipants(room)).find((p) => p.identity.startsWith("guide-"))!;
      expect(guide.tracks).toHaveLength(1);
      return guide.tracks[0]!;
    };
    const red = await track("tour-red20");
    const opus = await track("tour-opus60");
    expect(red.mimeType).toBe("audio/red");
    expect(opus.mimeType).toBe("audio/opus");
    for (const t of [red, opus]) expect(t.source).toBe(TrackSource.MICROPHONE);
  });

  it("is named an active speaker to its listeners while it talks, and never while it is silent", async () => {
    // LiveKit reads the ssrc-audio-level extension and sends a speaker update when a speaker's quantised level
    // changes (checked every 400 ms); a listener that joined while the level held still hears of it at the next change.
    await waitFor(
      "LiveKit to name each talking guide to its room's listener",
      async () =>
        spoke["tour-red20"]!.has("guide-red20") && spoke["tour-opus60"]!.has("guide-opus60") ? true : undefined,
      15_000,
    );
    expect([...spoke["tour-quiet"]!]).toEqual([]);
  }, 20_000);

  it("reaches an SDK listener as audio it decodes", async () => {
    // The SDK decodes 10 ms frames: ≈100 a second once the RED track's primary Opus reaches it.
    const before = ear.frames();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(ear.frames() - before).toBeGreaterThan(150);
  });

  it("sends ≈50 packets a second with 20 ms frames and ≈17 with 60 ms, as LiveKit forwards and counts them", async () => {
    const metricsUrl = `http://127.0.0.1:${ports.metrics}/metrics`;
    // livekit_packet_total is updated on LiveKit's ~5 s stats interval: read it over several.
    const incomingBefore = await packetTotal(metricsUrl, "incoming");
    const before = Object.fromEntries(Object.entries(listeners).map(([room, l]) => [room, l.latest().packets]));
    const sentBefore = guides.latest().packets;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const seconds = (Date.now() - started) / 1000;
    const rate = (room: string) => (listeners[room]!.latest().packets - before[room]!) / seconds;
    // Reports are once a second, so a window's count is off by up to a second's worth.
    expect(rate("tour-red20")).toBeGreaterThan(50 * (1 - 1.5 / seconds));
    expect(rate("tour-red20")).toBeLessThan(50 * (1 + 1.5 / seconds));
    expect(rate("tour-opus60")).toBeGreaterThan((1000 / 60) * (1 - 1.5 / seconds));
    expect(rate("tour-opus60")).toBeLessThan((1000 / 60) * (1 + 1.5 / seconds));
    // The quiet guide (DTX off) sends a silence frame every 20 ms.
    const sentRate = (guides.latest().packets - sentBefore) / seconds;
    expect(sentRate).toBeGreaterThan(GUIDES_RATE * (1 - 1.5 / seconds));
    expect(sentRate).toBeLessThan(GUIDES_RATE * (1 + 1.5 / seconds));
    // Every packet sent is counted by how late it left against its slot, most within a few ms on an idle core. (The
    // report reads the count and the histogram one after the other, while the guides send: a few apart.)
    const late = guides.latest().late!;
    expect(Math.abs(late.packets.reduce((a, b) => a + b, 0) - guides.latest().packets)).toBeLessThan(10);
    // The guide wakes when a slot is due: most leave within 2 ms of it (a ticker apart from the slots' clock sent
    // about half a frame late).
    const withinTwoMs = late.packets.slice(0, late.upToMs.indexOf(2) + 1).reduce((a, b) => a + b, 0);
    expect(withinTwoMs / guides.latest().packets).toBeGreaterThan(0.5);
    const incoming = await waitFor(
      "LiveKit's packet counter to move",
      async () => {
        const now = await packetTotal(metricsUrl, "incoming");
        return now > incomingBefore ? now : undefined;
      },
      15_000,
      500,
    );
    // Incoming counts the guides' RTP (≈117/s); with up to two 5 s stats intervals in between, bounded loosely.
    expect(incoming - incomingBefore).toBeGreaterThan(GUIDES_RATE * 4);
    expect(incoming - incomingBefore).toBeLessThan(GUIDES_RATE * (seconds + 15) * 1.2);
  }, 40_000);

  it("leaves every room and exits 0 when stdin closes", async () => {
    expect(await guides.close()).toBe(0);
    await waitFor(
      "the guides to leave their rooms",
      async () => {
        const left = await Promise.all(
          ["tour-red20", "tour-opus60", "tour-quiet"].map(async (room) =>
            (await rooms.listParticipants(room)).map((p) => p.identity),
          ),
        );
        return left.flat().some((id) => id.startsWith("guide-")) ? undefined : true;
      },
      10_000,
    );
  });
});
