// mediaPorts mux under the real livekit-server: the rendered livekit.yaml
// (udp_port range + batch_io, no port range) passes its strict parsing, and
// the server holds one UDP socket per mux port it uses — min(CPUs, ports), as
// LiveKit opens them — and nothing from an ephemeral range. The fixed ports
// are moved to free ones so that another LiveKit on this machine cannot clash.
import { createSocket } from "node:dgram";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { availableParallelism } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localLivekitConfig, type LocalPorts, pickLocalPorts, startLivekit, startRedis } from "../../local/livekit";
import { freePort, type Running } from "../../local/processes";
import { type LivekitYaml, rtcUdpBounds } from "../../templates/livekit";
import { testModel } from "../support/fixtures";

const SOCKETS = 4; // a CX33's vCPUs

async function bindsUdp(port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  const ok = await new Promise<boolean>((resolve) => {
    socket.once("error", () => resolve(false));
    socket.bind(port, "0.0.0.0", () => resolve(true));
  });
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return ok;
}

/** `count` consecutive free UDP ports below the kernel's ephemeral range, so no client socket lands in them. */
async function freeUdpBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20_000 + Math.floor(Math.random() * 10_000);
    const ports = Array.from({ length: count }, (_, i) => start + i);
    if ((await Promise.all(ports.map(bindsUdp))).every(Boolean)) return start;
  }
  throw new Error(`no ${count} consecutive free UDP ports found in 20000-30000`);
}

/** The local UDP ports of the sockets process `pid` holds, from /proc (IPv4 and IPv6). */
function udpPortsOf(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ""];
      } catch {
        return []; // closed while we read
      }
    }),
  );
  const ports = ["/proc/net/udp", "/proc/net/udp6"].flatMap((table) =>
    readFileSync(table, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => inodes.has(cols[9]!))
      .map((cols) => parseInt(cols[1]!.split(":")[1]!, 16)),
  );
  return [...new Set(ports)].sort((a, b) => a - b);
}

describe("livekit.yaml with mediaPorts mux under livekit-server", () => {
  const model = testModel({ media: { mode: "mux", sockets: SOCKETS } });
  let redis: Running;
  let livekit: Running;
  let ports: LocalPorts;
  let rendered: LivekitYaml;
  let config: LivekitYaml;

  beforeAll(async () => {
    ports = await pickLocalPorts();
    // Without pickLocalPorts' mediaUdp: the rendered mux ports, which this test moves to a free block of four itself.
    rendered = localLivekitConfig(model, { livekit: ports.livekit, redis: ports.redis, metrics: ports.metrics });
    const first = await freeUdpBlock(SOCKETS);
    const turnUdp = await freeUdpBlock(1);
    config = {
      ...rendered,
      rtc: { ...rendered.rtc, tcp_port: await freePort(), udp_port: `${first}-${first + SOCKETS - 1}` },
      turn: { ...rendered.turn, udp_port: turnUdp, tls_port: await freePort() },
    };
    redis = await startRedis(testModel(), ports);
    livekit = await startLivekit(config, ports.livekit);
  }, 60_000);
  afterAll(async () => {
    await livekit?.stop();
    await redis?.stop();
  });

  it("renders the mux (4 ports, batched writes) and no port range; only the port numbers move here", () => {
    expect(rendered.rtc.udp_port).toBe("50000-50003");
    expect(rendered.rtc.batch_io).toEqual({ batch_size: 128, max_flush_interval: "2ms" });
    expect(rendered.rtc).not.toHaveProperty("port_range_start");
    expect(rendered.rtc).not.toHaveProperty("port_range_end");
    const { from, to } = rtcUdpBounds(config.rtc);
    expect(to - from + 1).toBe(SOCKETS);
  });

  it("starts on it: the config validates and LiveKit reports the UDP port, not an ICE port range", async () => {
    expect((await fetch(`http://127.0.0.1:${ports.livekit}/`)).status).toBe(200);
    const log = livekit.output();
    expect(log).toContain("starting LiveKit server");
    const { from, to } = rtcUdpBounds(config.rtc);
    expect(log).toContain(`"rtc.portUDP":{"Start":${from},"End":${to}}`);
    expect(log).not.toContain("rtc.portICERange");
  });

  it("holds UDP sockets on the mux ports it uses (one per CPU, at most the rendered four) and TURN's, nothing else", () => {
    const { from } = rtcUdpBounds(config.rtc);
    const used = Math.min(availableParallelism(), SOCKETS);
    const muxPorts = Array.from({ length: used }, (_, i) => from + i);
    expect(udpPortsOf(livekit.child.pid!)).toEqual([...muxPorts, config.turn.udp_port].sort((a, b) => a - b));
  });
});
