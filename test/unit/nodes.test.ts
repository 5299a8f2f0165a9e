// The node planner and the per-node rendering: node 1 keeps the single
// server's names, every name is unique and a valid DNS name, Redis runs on
// node 1 alone and is reachable from the others on the private network only.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MAX_LIVEKIT_NODES, nodeHostName, planNodes, PRIVATE_NETWORK, signallingUrls } from "../../plans/nodes";
import { isValidHostName } from "../../config/rules";
import { renderHost } from "../../templates";
import { configProblems, testModel, validRawConfig } from "../support/fixtures";

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,20}$/);
const names = fc
  .tuple(label, label, label)
  .filter(([a, b]) => a !== b)
  .map(([live, turn, zone]) => ({ live: `${live}.${zone}.app`, turn: `${turn}.${zone}.app` }));
const count = fc.integer({ min: 1, max: MAX_LIVEKIT_NODES });

describe("planNodes", () => {
  it("keeps node 1's names, and gives every node unique, valid DNS names", () => {
    fc.assert(
      fc.property(names, count, ({ live, turn }, n) => {
        const nodes = planNodes(live, turn, n);
        expect(nodes).toHaveLength(n);
        expect(nodes[0]).toMatchObject({ index: 1, suffix: "", livekitHost: live, turnHost: turn });
        const all = nodes.flatMap((node) => [node.livekitHost, node.turnHost]);
        expect(new Set(all).size).toBe(all.length);
        for (const name of all) expect(isValidHostName(name), name).toBe(true);
        expect(new Set(nodes.map((node) => node.suffix)).size).toBe(n);
      }),
    );
  });

  it("plans one node exactly as the single server: no private address, Redis on loopback", () => {
    expect(planNodes("live.roamcast.app", "turn.roamcast.app", 1)).toEqual([
      {
        index: 1,
        suffix: "",
        livekitHost: "live.roamcast.app",
        turnHost: "turn.roamcast.app",
        redis: { role: "single" },
      },
    ]);
  });

  it("puts every node of several in the subnet, Redis on node 1 and its address in the others' config", () => {
    const nodes = planNodes("live.roamcast.app", "turn.roamcast.app", 3);
    expect(nodes.map((n) => [n.livekitHost, n.turnHost, n.privateIp, n.redis])).toEqual([
      ["live.roamcast.app", "turn.roamcast.app", "10.42.1.11", { role: "primary", privateIp: "10.42.1.11" }],
      ["live-2.roamcast.app", "turn-2.roamcast.app", "10.42.1.12", { role: "remote", address: "10.42.1.11" }],
      ["live-3.roamcast.app", "turn-3.roamcast.app", "10.42.1.13", { role: "remote", address: "10.42.1.11" }],
    ]);
    expect(PRIVATE_NETWORK.subnet).toBe("10.42.1.0/24");
    expect(signallingUrls(nodes)).toEqual([
      "wss://live.roamcast.app",
      "wss://live-2.roamcast.app",
      "wss://live-3.roamcast.app",
    ]);
  });

  it("refuses a node count out of range, and names that would collide or overflow a label", () => {
    expect(() => planNodes("live.roamcast.app", "turn.roamcast.app", 0)).toThrow(/from 1 to 10, got 0/);
    expect(() => planNodes("live.roamcast.app", "live-2.roamcast.app", 2)).toThrow(/"live-2.roamcast.app" twice/);
    expect(nodeHostName("x".repeat(62) + ".roamcast.app", 2)).toMatch(/^x{62}-2\./);
    expect(() => planNodes("x".repeat(62) + ".roamcast.app", "turn.roamcast.app", 2)).toThrow(/not a valid DNS name/);
  });

  it("reports colliding derived names as a config problem naming the keys and the fix", () => {
    expect(configProblems("dev", validRawConfig({ turnHost: "live-2.roamcast.app", livekitNodes: 2 }))).toEqual([
      'roamcast:livekitNodes 2 derives the host name "live-2.roamcast.app" twice (from roamcast:livekitHost and roamcast:turnHost); choose first labels that do not end in -<number>, e.g. live and turn',
    ]);
    expect(configProblems("dev", validRawConfig({ turnHost: "live-2.roamcast.app" }))).toEqual([]);
  });
});

describe("the files of a node among several", () => {
  const [one, two] = planNodes("live.roamcast.app", "turn.roamcast.app", 2);
  const render = (node: typeof one) =>
    Object.fromEntries(
      renderHost(testModel({ livekitHost: node!.livekitHost, turnHost: node!.turnHost, redis: node!.redis })).files.map(
        (f) => [f.name, f.content],
      ),
    );
  const first = render(one);
  const second = render(two);

  it("node 1 binds Redis to loopback and its private address, with the password, and runs the exporter", () => {
    expect(first["redis.conf"]).toMatch(/^bind 127\.0\.0\.1 -::1 10\.42\.1\.11$/m);
    expect(first["redis.conf"]).toMatch(/^requirepass /m);
    expect(first["redis.conf"]).toMatch(/^protected-mode yes$/m);
    const compose = parse(first["docker-compose.yaml"]!);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(["redis", "redis-exporter"]));
    expect(parse(first["livekit.yaml"]!).redis.address).toBe("localhost:6379");
  });

  it("node 2 runs no Redis and no exporter, and its LiveKit uses node 1's over the private network", () => {
    expect(Object.keys(second).sort()).not.toContain("redis.conf");
    expect(Object.keys(second)).not.toContain("redis-exporter-password.json");
    const compose = parse(second["docker-compose.yaml"]!);
    expect(Object.keys(compose.services)).not.toContain("redis");
    expect(Object.keys(compose.services)).not.toContain("redis-exporter");
    expect(compose.services.livekit.depends_on).toBeUndefined();
    const livekit = parse(second["livekit.yaml"]!);
    expect(livekit.redis).toEqual({ address: "10.42.1.11:6379", password: testModel().secrets.redisPassword });
    expect(parse(second["prometheus.yml"]!).scrape_configs.map((j: any) => j.job_name)).not.toContain("redis");
  });

  it("each node announces its public IPv4, never a private one, and its own TURN name with its own certificate", () => {
    for (const [files, node] of [
      [first, one],
      [second, two],
    ] as const) {
      const livekit = parse(files["livekit.yaml"]!);
      expect(livekit.rtc.node_ip).toBe(testModel().publicIpv4);
      expect(livekit.turn.domain).toBe(node!.turnHost);
      const caddy = parse(files["caddy.yaml"]!);
      expect(caddy.apps.tls.certificates.automate).toEqual([node!.livekitHost, node!.turnHost]);
    }
  });
});
