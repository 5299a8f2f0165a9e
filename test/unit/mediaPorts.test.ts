// roamcast:mediaPorts: LiveKit's UDP mux with batched writes (default) or the
// port range. livekit.yaml, the alert text and every node of a multi-node
// stack follow the one choice; the Hetzner firewall and its nftables twin
// open the whole range in both, so switching never touches them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseStackConfig } from "../../config/schema";
import { localNodeConfig } from "../../local/multinode";
import { SERVER_CLASSES } from "../../plans/capacity";
import { planFirewallRules } from "../../plans/firewall";
import { hostSettings, nodeHostSettings } from "../../plans/host";
import { mediaPortProblems, MOST_VCPUS, planMediaPorts } from "../../plans/media";
import { nftRuleLines } from "../../plans/nftables";
import { planNodes } from "../../plans/nodes";
import { alertRules } from "../../templates/alertRules";
import { livekitConfig, renderLivekitYaml, rtcUdpBounds } from "../../templates/livekit";
import { MAX_MUX_SOCKETS, type MediaPorts, publicPorts, renderHost } from "../../templates";
import { configProblems, testModel, validRawConfig } from "../support/fixtures";

const mux = (sockets: number): MediaPorts => ({ mode: "mux", sockets });
const OPERATOR = ["203.0.113.7/32"];
const rules = () =>
  planFirewallRules(publicPorts(), OPERATOR).map(({ protocol, port, description }) => ({
    protocol,
    port,
    description,
  }));

describe("the mediaPorts setting", () => {
  it("defaults to the mux, one port per vCPU of the server type; range takes the port range", () => {
    const cx33 = parseStackConfig("dev", validRawConfig());
    expect([cx33.mediaPorts, hostSettings(cx33).media]).toEqual(["mux", mux(4)]);
    const cx53 = parseStackConfig("dev", validRawConfig({ serverType: "cx53" }));
    expect(hostSettings(cx53).media).toEqual(mux(16));
    expect(hostSettings(parseStackConfig("dev", validRawConfig({ mediaPorts: "range" }))).media).toEqual({
      mode: "range",
    });
  });

  it("a server type whose vCPUs the price list does not know gets as many mux ports as the largest server has vCPUs", () => {
    expect(configProblems("dev", validRawConfig({ serverType: "cpx22" }))).toEqual([]);
    expect(hostSettings(parseStackConfig("dev", validRawConfig({ serverType: "cpx22" }))).media).toEqual(
      mux(MOST_VCPUS),
    );
    expect(planMediaPorts("mux", "ccx13")).toEqual(mux(48));
  });

  it("refuses a value that is not a choice, naming the choices and the fix", () => {
    expect(configProblems("dev", validRawConfig({ mediaPorts: "muxed" }))).toEqual([
      'roamcast:mediaPorts "muxed" is not one of mux, range; set it with: pulumi config set roamcast:mediaPorts range (or remove it for the default, mux)',
    ]);
    expect(mediaPortProblems("range")).toEqual([]);
    expect(() => planMediaPorts("", "cx33")).toThrow('roamcast:mediaPorts "" is not one of mux, range');
  });
});

describe("livekit.yaml's media ports", () => {
  it("range: the port range, no udp_port and no batch_io", async () => {
    const rendered = renderLivekitYaml(testModel({ media: { mode: "range" } }));
    await expect(rendered).toMatchFileSnapshot("../__snapshots__/livekit-range.yaml");
    expect(parse(rendered).rtc).toEqual({
      tcp_port: 7881,
      port_range_start: 50000,
      port_range_end: 60000,
      use_external_ip: false,
      node_ip: "198.51.100.20",
    });
  });

  it("mux (the default) on a CX33: udp_port 50000-50003 with batched writes, and no port range (LiveKit would ignore the mux)", () => {
    expect(renderLivekitYaml(testModel())).toBe(renderLivekitYaml(testModel({ media: mux(4) })));
    expect(parse(renderLivekitYaml(testModel())).rtc).toEqual({
      tcp_port: 7881,
      udp_port: "50000-50003",
      batch_io: { batch_size: 128, max_flush_interval: "2ms" },
      use_external_ip: false,
      node_ip: "198.51.100.20",
    });
  });

  it("one mux socket is a single port: LiveKit refuses a range whose end is its start", () => {
    expect(livekitConfig(testModel({ media: mux(1) })).rtc.udp_port).toBe(50000);
  });

  it("for any socket count, livekit.yaml's mux ports are the first of the range the firewall opens", () => {
    const udp = publicPorts().filter((p) => p.protocol === "udp" && p.from !== 3478);
    expect(udp.map((p) => [p.from, p.to])).toEqual([[50000, 60000]]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_MUX_SOCKETS }), (sockets) => {
        const { from, to } = rtcUdpBounds(livekitConfig(testModel({ media: mux(sockets) })).rtc);
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

describe("the firewall does not follow the media ports", () => {
  const expected = [
    { protocol: "tcp", port: "80", description: "caddy: ACME HTTP-01 certificate challenges" },
    { protocol: "tcp", port: "443", description: "caddy: WSS signalling and TURN/TLS, routed by SNI" },
    { protocol: "tcp", port: "7881", description: "livekit: WebRTC ICE over TCP" },
    { protocol: "udp", port: "3478", description: "livekit: TURN over UDP" },
    { protocol: "udp", port: "50000-60000", description: "livekit: WebRTC media over UDP" },
    { protocol: "tcp", port: "22", description: "ssh: operators only" },
  ];

  it("opens 50000-60000/udp in both modes: switching mediaPorts changes livekit.yaml, never a firewall rule", () => {
    expect(rules()).toEqual(expected);
    const nft = nftRuleLines(planFirewallRules(publicPorts(), OPERATOR).find((r) => r.port === "50000-60000")!);
    expect(nft).toEqual([
      'ip saddr { 0.0.0.0/0 } udp dport 50000-60000 accept comment "livekit: WebRTC media over UDP"',
      'ip6 saddr { ::/0 } udp dport 50000-60000 accept comment "livekit: WebRTC media over UDP"',
    ]);
  });

  it("every server class's mux listens inside the opened range, one port per vCPU", () => {
    for (const [serverType, { vcpu }] of Object.entries(SERVER_CLASSES)) {
      const { from, to } = rtcUdpBounds(livekitConfig(testModel({ media: planMediaPorts("mux", serverType) })).rtc);
      expect([from, to - from + 1], serverType).toEqual([50000, vcpu]);
    }
  });

  it("the join-failure alert names the ports LiveKit listens on", () => {
    const description = (media: MediaPorts) =>
      alertRules(testModel({ media }))
        .groups.flatMap((g) => g.rules)
        .find((r) => r.alert === "ParticipantJoinFailures")!.annotations.description;
    expect(description({ mode: "range" })).toContain("means UDP 50000-60000, TCP 7881 or TURN (UDP 3478, TLS on 443)");
    expect(description(mux(4))).toContain("means UDP 50000-50003, TCP 7881 or TURN (UDP 3478, TLS on 443)");
  });
});

describe("several nodes", () => {
  it("every node renders the same mux", () => {
    const settings = parseStackConfig("dev", validRawConfig({ livekitNodes: 3 }));
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
