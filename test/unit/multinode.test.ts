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
    expect(a.rtc.port_range_end).toBeLessThan(b.rtc.port_range_start!);
    expect(a.rtc.port_range_start).toBeLessThan(a.rtc.port_range_end!);
  });

  it("changes nothing else in the rendered local livekit.yaml", async () => {
    const node = await localNodeConfig(model, 6400, 1);
    const single = localLivekitConfig(model, { livekit: node.port, redis: 6400, metrics: node.prometheus.port });
    expect(node).toEqual({
      ...single,
      rtc: {
        ...single.rtc,
        tcp_port: node.rtc.tcp_port,
        port_range_start: node.rtc.port_range_start,
        port_range_end: node.rtc.port_range_end,
      },
      turn: { ...single.turn, udp_port: node.turn.udp_port, tls_port: node.turn.tls_port },
    });
  });
});
