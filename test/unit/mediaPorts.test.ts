// roamcast:mediaPorts: the port range (default) or LiveKit's UDP mux with
// batched writes. livekit.yaml, the Hetzner firewall, its nftables twin, the
// alert text and every node of a multi-node stack follow the one choice.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseStackConfig } from "../../config/schema";
import { localNodeConfig } from "../../local/multinode";
import { SERVER_CLASSES } from "../../plans/capacity";
import { planFirewallRules } from "../../plans/firewall";
import { hostSettings, nodeHostSettings } from "../../plans/host";
import { mediaPortProblems, planMediaPorts } from "../../plans/media";
import { nftRuleLines } from "../../plans/nftables";
import { planNodes } from "../../plans/nodes";
import { alertRules } from "../../templates/alertRules";
import { livekitConfig, renderLivekitYaml, rtcUdpBounds } from "../../templates/livekit";
import { MAX_MUX_SOCKETS, type MediaPorts, publicPorts, renderHost } from "../../templates";
import { configProblems, testModel, validRawConfig } from "../support/fixtures";

const mux = (sockets: number): MediaPorts => ({ mode: "mux", sockets });
const OPERATOR = ["203.0.113.7/32"];
const rulesOf = (media: MediaPorts) =>
  planFirewallRules(publicPorts(media), OPERATOR).map(({ protocol, port, description }) => ({
    protocol,
    port,
    description,
  }));

describe("the mediaPorts setting", () => {
  it("defaults to the port range; mux takes one port per vCPU of the server type", () => {
    expect(hostSettings(parseStackConfig("dev", validRawConfig())).media).toEqual({ mode: "range" });
    const cx33 = parseStackConfig("dev", validRawConfig({ mediaPorts: "mux" }));
    expect([cx33.mediaPorts, hostSettings(cx33).media]).toEqual(["mux", mux(4)]);
    const cx53 = parseStackConfig("dev", validRawConfig({ mediaPorts: "mux", serverType: "cx53" }));
    expect(hostSettings(cx53).media).toEqual(mux(16));
  });

  it("refuses a value that is not a choice, and the mux on a server type whose vCPUs are unknown, naming the fix", () => {
    expect(configProblems("dev", validRawConfig({ mediaPorts: "muxed" }))).toEqual([
      'roamcast:mediaPorts "muxed" is not one of range, mux; set it with: pulumi config set roamcast:mediaPorts mux (or remove it for the default, range)',
    ]);
    expect(configProblems("dev", validRawConfig({ mediaPorts: "mux", serverType: "cpx22" }))).toEqual([
      'roamcast:mediaPorts mux opens one UDP port per vCPU, and the vCPU count of roamcast:serverType "cpx22" is not known (plans/capacity.ts lists cx23, cx33, cx43, cx53); use one of those server types, or remove roamcast:mediaPorts for the port range',
    ]);
    // The range does not depend on the server type.
    expect(configProblems("dev", validRawConfig({ serverType: "cpx22" }))).toEqual([]);
    // A server type that fails its own check is not reported twice.
    expect(mediaPortProblems("mux", "")).toEqual([]);
    expect(() => planMediaPorts("mux", "ccx13")).toThrow('roamcast:serverType "ccx13" is not known');
    expect(() => planMediaPorts("", "cx33")).toThrow('roamcast:mediaPorts "" is not one of range, mux');
  });
});

describe("livekit.yaml's media ports", () => {
  it("range (the default): the port range, no udp_port and no batch_io", () => {
    const rtc = parse(renderLivekitYaml(testModel())).rtc;
    expect(rtc).toEqual({
      tcp_port: 7881,
      port_range_start: 50000,
      port_range_end: 60000,
      use_external_ip: false,
      node_ip: "198.51.100.20",
    });
  });

  it("mux on a CX33: udp_port 50000-50003 with batched writes, and no port range (LiveKit would ignore the mux)", async () => {
    const rendered = renderLivekitYaml(testModel({ media: mux(4) }));
    expect(parse(rendered).rtc).toEqual({
      tcp_port: 7881,
      udp_port: "50000-50003",
      batch_io: { batch_size: 128, max_flush_interval: "2ms" },
      use_external_ip: false,
      node_ip: "198.51.100.20",
    });
    await expect(rendered).toMatchFileSnapshot("../__snapshots__/livekit-mux.yaml");
  });

  it("one mux socket is a single port: LiveKit refuses a range whose end is its start", () => {
    expect(livekitConfig(testModel({ media: mux(1) })).rtc.udp_port).toBe(50000);
  });

  it("for any socket count, livekit.yaml and the firewall name the same ports, inside 50000-60000", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_MUX_SOCKETS }), (sockets) => {
        const media = mux(sockets);
        const { from, to } = rtcUdpBounds(livekitConfig(testModel({ media })).rtc);
        const udp = publicPorts(media).filter((p) => p.protocol === "udp" && p.from !== 3478);
        expect(udp.map((p) => [p.from, p.to])).toEqual([[from, to]]);
        expect([from, to - from + 1]).toEqual([50000, sockets]);
        expect(to).toBeLessThanOrEqual(60000);
      }),
    );
  });

  it("refuses a socket count the port range cannot hold", () => {
    for (const sockets of [0, 2.5, MAX_MUX_SOCKETS + 1])
      expect(() => livekitConfig(testModel({ media: mux(sockets) }))).toThrow(
        `Cannot render the LiveKit host files: the UDP mux needs 1 to 10001 sockets, got ${sockets}`,
      );
  });
});

describe("the firewall follows the media ports", () => {
  const common = [
    { protocol: "tcp", port: "80", description: "caddy: ACME HTTP-01 certificate challenges" },
    { protocol: "tcp", port: "443", description: "caddy: WSS signalling and TURN/TLS, routed by SNI" },
    { protocol: "tcp", port: "7881", description: "livekit: WebRTC ICE over TCP" },
    { protocol: "udp", port: "3478", description: "livekit: TURN over UDP" },
  ];
  const ssh = { protocol: "tcp", port: "22", description: "ssh: operators only" };

  it("range: 50000-60000/udp; mux on a CX33: 50000-50003/udp and nothing else of the range", () => {
    expect(rulesOf({ mode: "range" })).toEqual([
      ...common,
      { protocol: "udp", port: "50000-60000", description: "livekit: WebRTC media over UDP" },
      ssh,
    ]);
    expect(rulesOf(mux(4))).toEqual([
      ...common,
      { protocol: "udp", port: "50000-50003", description: "livekit: WebRTC media over UDP, one muxed port per vCPU" },
      ssh,
    ]);
  });

  it("every server class's mux opens exactly the ports its livekit.yaml listens on", () => {
    for (const [serverType, { vcpu }] of Object.entries(SERVER_CLASSES)) {
      const media = planMediaPorts("mux", serverType);
      const rule = planFirewallRules(publicPorts(media), OPERATOR).find((r) => r.description.includes("media"))!;
      const { from, to } = rtcUdpBounds(livekitConfig(testModel({ media })).rtc);
      expect([rule.port, to - from + 1], serverType).toEqual([`${from}-${to}`, vcpu]);
    }
  });

  it("the nftables twin opens the mux's ports", () => {
    const rule = planFirewallRules(publicPorts(mux(4)), OPERATOR).find(
      (r) => r.protocol === "udp" && r.port !== "3478",
    );
    expect(nftRuleLines(rule!)).toEqual([
      'ip saddr { 0.0.0.0/0 } udp dport 50000-50003 accept comment "livekit: WebRTC media over UDP, one muxed port per vCPU"',
      'ip6 saddr { ::/0 } udp dport 50000-50003 accept comment "livekit: WebRTC media over UDP, one muxed port per vCPU"',
    ]);
  });

  it("the join-failure alert names the ports the firewall opens", () => {
    const description = (media: MediaPorts) =>
      alertRules(testModel({ media }))
        .groups.flatMap((g) => g.rules)
        .find((r) => r.alert === "ParticipantJoinFailures")!.annotations.description;
    expect(description({ mode: "range" })).toContain("means UDP 50000-60000, TCP 7881 or TURN (UDP 3478, TLS on 443)");
    expect(description(mux(4))).toContain("means UDP 50000-50003, TCP 7881 or TURN (UDP 3478, TLS on 443)");
  });
});

describe("several nodes", () => {
  it("every node renders the same mux, so node 1's shared firewall fits each", () => {
    const settings = parseStackConfig("dev", validRawConfig({ mediaPorts: "mux", livekitNodes: 3 }));
    const nodes = planNodes(settings.livekitHost, settings.turnHost, 3);
    const rtcs = nodes.map((node) => {
      const host = nodeHostSettings(settings, node);
      expect(host.media, node.livekitHost).toEqual(mux(4));
      const model = { ...host, publicIpv4: "198.51.100.20", publicIpv6: "2001:db8:1::1", secrets: testModel().secrets };
      const file = renderHost(model).files.find((f) => f.name === "livekit.yaml")!;
      const { node_ip: _, ...rtc } = parse(file.content).rtc;
      return rtc;
    });
    expect(new Set(rtcs.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(rtcs[0]).toMatchObject({ udp_port: "50000-50003" });
  });

  it("on this machine each local node gets its own slice of mux ports, as many as rendered", async () => {
    const model = testModel({ media: mux(4) });
    const [a, b] = await Promise.all([localNodeConfig(model, 6400, 0), localNodeConfig(model, 6400, 1)]);
    expect([a.rtc.udp_port, b.rtc.udp_port]).toEqual(["50000-50003", "52000-52003"]);
    for (const rtc of [a.rtc, b.rtc]) {
      expect(rtc.batch_io).toEqual({ batch_size: 128, max_flush_interval: "2ms" });
      expect(rtc).not.toHaveProperty("port_range_start");
    }
  });
});
