// The program with three LiveKit nodes under Pulumi's mocks: the private
// network, each node's addresses, server, names and files, Redis on node 1
// alone, the deployments chained one node after the other, and the policy
// pack still satisfied.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { programResourceViolations, stackFiles } from "../support/policyArgs";
import { MOCK_IPV4, reveal } from "../support/pulumiMocks";
import { planProgram } from "../support/programPlan";

const NODES = 3;
const SETTLED = [
  "livekit-deploy-apply",
  "livekit-deploy-node2-apply",
  "livekit-deploy-node3-apply",
  "livekit-dns-node3-turn-3.roamcast.app-AAAA",
  "livekit-private-subnet",
  "livekit-node3-private",
  "supabase-function-secrets-values",
];

describe("a stack with three LiveKit nodes", async () => {
  const overrides = { livekitNodes: NODES, operatorCidrs: ["85.214.0.7/32", "2a01:4f8:c0c::/48"] };
  const { run, resources, exports } = await planProgram("dev", overrides, SETTLED);
  const component = (type: string, name: string) => resources.find((r) => r.type === type && r.name === name)!;
  const stdin = (name: string) => reveal(run.one("command:remote:Command", name).inputs.stdin) as string;

  it("creates one private network and subnet, and puts each server in it at its planned address", () => {
    expect(run.one("hcloud:index/network:Network").inputs).toMatchObject({ ipRange: "10.42.0.0/16" });
    expect(run.one("hcloud:index/networkSubnet:NetworkSubnet").inputs).toMatchObject({
      type: "cloud",
      networkZone: "eu-central",
      ipRange: "10.42.1.0/24",
    });
    expect(run.byType("hcloud:index/serverNetwork:ServerNetwork").map((n) => [n.name, n.inputs.ip])).toEqual([
      ["livekit-private", "10.42.1.11"],
      ["livekit-node2-private", "10.42.1.12"],
      ["livekit-node3-private", "10.42.1.13"],
    ]);
  });

  it("gives every node its own server and primary IPs, behind the one firewall, and node 1 its names of old", () => {
    expect(run.byType("hcloud:index/server:Server").map((s) => s.name)).toEqual([
      "livekit-server",
      "livekit-node2-server",
      "livekit-node3-server",
    ]);
    expect(run.byType("hcloud:index/primaryIp:PrimaryIp")).toHaveLength(2 * NODES);
    expect(run.byType("hcloud:index/firewall:Firewall").map((f) => f.name)).toEqual(["livekit-firewall"]);
    const firewallIds = run.byType("hcloud:index/server:Server").map((s) => JSON.stringify(s.inputs.firewallIds));
    expect(new Set(firewallIds).size).toBe(1);
    // The operators' keys once in Hetzner (it refuses duplicates), shared by every server.
    const operatorKeys = run.byType("hcloud:index/sshKey:SshKey").filter((k) => k.name.includes("-operator-"));
    expect(operatorKeys).toHaveLength(1);
  });

  it("publishes each node's signalling and TURN names, DNS only", () => {
    const records = run.byType("cloudflare:index/dnsRecord:DnsRecord").map((r) => r.inputs);
    expect(new Set(records.map((r) => r.name))).toEqual(
      new Set([
        "live.roamcast.app",
        "turn.roamcast.app",
        "live-2.roamcast.app",
        "turn-2.roamcast.app",
        "live-3.roamcast.app",
        "turn-3.roamcast.app",
      ]),
    );
    for (const r of records) expect(r.proxied).toBe(false);
  });

  it("runs Redis on node 1 alone, on its private address, and points the other nodes at it", () => {
    expect(stdin("livekit-deploy-file-redis.conf")).toMatch(/^bind 127\.0\.0\.1 -::1 10\.42\.1\.11$/m);
    const names = run.byType("command:remote:Command").map((c) => c.name);
    for (const node of ["node2", "node3"]) {
      expect(names).not.toContain(`livekit-deploy-${node}-file-redis.conf`);
      expect(names).not.toContain(`livekit-deploy-${node}-file-redis-exporter-password.json`);
      expect(Object.keys(parse(stdin(`livekit-deploy-${node}-file-docker-compose.yaml`)).services)).not.toContain(
        "redis",
      );
    }
    const configs = ["livekit-deploy", "livekit-deploy-node2", "livekit-deploy-node3"].map((d) =>
      parse(stdin(`${d}-file-livekit.yaml`)),
    );
    expect(configs.map((c) => c.redis.address)).toEqual(["localhost:6379", "10.42.1.11:6379", "10.42.1.11:6379"]);
    // One API key and secret, one Redis password, on every node; each node's public IPv4 and own TURN name.
    for (const c of configs) {
      expect(c.keys).toEqual(configs[0].keys);
      expect(c.redis.password).toBe(configs[0].redis.password);
      expect(c.rtc.node_ip).toBe(MOCK_IPV4);
    }
    expect(configs.map((c) => c.turn.domain)).toEqual([
      "turn.roamcast.app",
      "turn-2.roamcast.app",
      "turn-3.roamcast.app",
    ]);
  });

  it("deploys one node at a time: each node's deployment depends on the previous node's", () => {
    const deploy = (suffix: string) => component("roamcast:deployment:LivekitDeployment", `livekit-deploy${suffix}`);
    expect(deploy("-node2").dependsOn).toContain(deploy("").urn);
    expect(deploy("-node3").dependsOn).toContain(deploy("-node2").urn);
    expect(deploy("-node3").dependsOn).not.toContain(deploy("").urn);
    // And each after its own host (the firewall's deploy rule and the private network included).
    const hostUrn = (suffix: string) => component("roamcast:host:LivekitHost", `livekit${suffix}`).urn;
    for (const suffix of ["", "-node2", "-node3"]) expect(deploy(suffix).dependsOn).toContain(hostUrn(suffix));
    expect(deploy("").dependsOn).toEqual([hostUrn("")]);
    // The engine holds a component's children back only through their own
    // dependencies: the first step of each deployment carries the chain.
    const reachable = (suffix: string) =>
      component("command:local:Command", `livekit-deploy${suffix}-ssh-reachable`).dependsOn;
    expect(reachable("-node2")).toEqual([hostUrn("-node2"), deploy("").urn]);
    expect(reachable("-node3")).toEqual([hostUrn("-node3"), deploy("-node2").urn]);
    expect(reachable("")).toEqual([hostUrn("")]);
  });

  it("hands the token function every node's signalling URL, node 1 first", async () => {
    const secrets = reveal(run.resources.find((r) => r.name === "supabase-function-secrets-values")!.inputs);
    expect(JSON.stringify(secrets)).toContain(
      "wss://live.roamcast.app,wss://live-2.roamcast.app,wss://live-3.roamcast.app",
    );
    const nodes = await new Promise<any>((r) => (run.pulumi.output(exports.livekitNodes) as any).apply(r));
    expect(nodes.map((n: any) => n.url)).toEqual([
      "wss://live.roamcast.app",
      "wss://live-2.roamcast.app",
      "wss://live-3.roamcast.app",
    ]);
  });

  it("breaks no resource policy: planned firewall ports, DNS never proxied, no secret in user data", async () => {
    const files = stackFiles({ dev: { ...overrides } });
    const { violations, checkedTypes } = await programResourceViolations(files, "dev", run.resources);
    expect(violations).toEqual([]);
    expect(checkedTypes).toEqual(
      expect.arrayContaining([
        "hcloud:index/firewall:Firewall",
        "hcloud:index/server:Server",
        "hcloud:index/network:Network",
        "cloudflare:index/dnsRecord:DnsRecord",
      ]),
    );
  });
});
