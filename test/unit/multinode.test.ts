// The local multi-node configs: one rendered livekit.yaml per node, only the
// ports two nodes on one host would fight over moved apart.
import { describe, expect, it } from "vitest";
import { localLivekitConfig } from "../../local/livekit";
import { localHostModel } from "../../local/model";
import { localNodeConfig } from "../../local/multinode";

const model = localHostModel({
  secrets: { apiKey: "APItest", apiSecret: "s".repeat(48), redisPassword: "r".repeat(40) },
  webhookUrl: "http://127.0.0.1:9/unused",
});

describe("localNodeConfig", () => {
  it("gives two nodes the same keys, Redis and room policy, and ports that do not clash", async () => {
    const [a, b] = await Promise.all([localNodeConfig(model, 6400, 0), localNodeConfig(model, 6400, 1)]);
    for (const node of [a, b]) {
      expect(node.redis).toEqual({ address: "127.0.0.1:6400", password: model.secrets.redisPassword });
      expect(node.keys).toEqual({ APItest: model.secrets.apiSecret });
    }
    expect(a.room).toEqual(b.room);
    const tcpPorts = [a, b].flatMap((n) => [n.port, n.rtc.tcp_port, n.turn.tls_port, n.prometheus.port]);
    expect(new Set(tcpPorts).size).toBe(tcpPorts.length);
    expect(a.turn.udp_port).not.toBe(b.turn.udp_port);
    // The rendered mux (a CX33's four ports) in each node's own slice of the media range.
    expect([a.rtc.udp_port, b.rtc.udp_port]).toEqual(["50000-50003", "52000-52003"]);
  });

  it("changes nothing else in the rendered local livekit.yaml", async () => {
    const node = await localNodeConfig(model, 6400, 1);
    const single = localLivekitConfig(model, { livekit: node.port, redis: 6400, metrics: node.prometheus.port });
    expect(node).toEqual({
      ...single,
      rtc: {
        ...single.rtc,
        tcp_port: node.rtc.tcp_port,
        udp_port: node.rtc.udp_port,
      },
      turn: { ...single.turn, udp_port: node.turn.udp_port, tls_port: node.turn.tls_port },
    });
  });
});

describe("localLivekitConfig's media port", () => {
  const ports = { livekit: 7880, redis: 6400, metrics: 6789 };

  it("moves the rendered mux to the free UDP port it is given: 50000-50003 lie in Linux's ephemeral range", () => {
    expect(localLivekitConfig(model, { ...ports, mediaUdp: 41234 }).rtc).toMatchObject({
      udp_port: 41234,
      batch_io: { batch_size: 128, max_flush_interval: "2ms" },
    });
    expect(localLivekitConfig(model, ports).rtc.udp_port).toBe("50000-50003");
  });

  it("leaves a port range as rendered, and adds no udp_port to it", () => {
    const range = { ...model, media: { mode: "range" as const } };
    const rtc = localLivekitConfig(range, { ...ports, mediaUdp: 41234 }).rtc;
    expect([rtc.port_range_start, rtc.port_range_end]).toEqual([50000, 60000]);
    expect(rtc).not.toHaveProperty("udp_port");
  });
});
