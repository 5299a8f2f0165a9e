// Each policy of the pack (policy/) against a fixture that breaks it and one
// that keeps it, called as @pulumi/policy's server calls it.
import { describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../support/fixtures";
import { resourceViolations, stackFiles, stackViolations } from "../support/policyArgs";
import { stackContext } from "../../policy/stackContext";

const FIREWALL = "hcloud:index/firewall:Firewall";
const SERVER = "hcloud:index/server:Server";
const ANY = ["0.0.0.0/0", "::/0"];
const files = stackFiles({
  dev: { operatorCidrs: ["85.214.0.7/32", "2a01:4f8:c0c::/48"], deployCidrs: "198.51.100.7/32" },
  prod: { production: "true", operatorCidrs: ["85.214.0.7/32"] },
  retired: { production: "false", retire: "true" },
  mux: { operatorCidrs: ["85.214.0.7/32"], mediaPorts: "mux", serverType: "cx43" },
  range: { operatorCidrs: ["85.214.0.7/32"], mediaPorts: "range" },
});

const planned = [
  { direction: "in", protocol: "tcp", port: "80", sourceIps: ANY },
  { direction: "in", protocol: "tcp", port: "443", sourceIps: ANY },
  { direction: "in", protocol: "tcp", port: "7881", sourceIps: ANY },
  { direction: "in", protocol: "udp", port: "3478", sourceIps: ANY },
  { direction: "in", protocol: "udp", port: "50000-60000", sourceIps: ANY },
];
const ssh = (...sourceIps: string[]) => ({ direction: "in", protocol: "tcp", port: "22", sourceIps });
const firewall = (rules: object[], stack = "dev") => ({ stack, type: FIREWALL, props: { rules } });

describe("firewall-planned-ports-only", () => {
  const check = (rules: object[], stack = "dev", config = {}) =>
    resourceViolations(files, "firewall-planned-ports-only", firewall(rules, stack), config);

  it("passes the planned ports with SSH from the operators and this deploy's runner", async () => {
    expect(await check([...planned, ssh("85.214.0.7/32", "2a01:4f8:c0c::/48"), ssh("198.51.100.7/32")])).toEqual([]);
  });

  it("refuses SSH from anywhere, an unplanned port, a missing port and a narrowed public port", async () => {
    const [http, ...rest] = planned;
    expect(
      await check([
        { ...http!, sourceIps: ["85.214.0.7/32"] },
        ...rest.slice(0, -1),
        { direction: "in", protocol: "tcp", port: "6379", sourceIps: ANY },
        ssh("85.214.0.7/32", "0.0.0.0/0"),
      ]),
    ).toEqual([
      'rule "in tcp 80" must be open from anywhere (0.0.0.0/0, ::/0), as planned',
      'rule "in tcp 6379" is not planned: the firewall opens only tcp 80, tcp 443, tcp 7881, udp 3478, udp 50000-60000, tcp 22',
      "SSH (22/tcp) is open to 0.0.0.0/0, which is neither an operator range (85.214.0.7/32, 2a01:4f8:c0c::/48) nor this deploy's runner",
      "planned port udp 50000-60000 has no rule: the host cannot serve it",
    ]);
  });

  it("takes the operator ranges from the pack config over the stack file", async () => {
    expect(await check([...planned, ssh("85.214.0.7/32")], "dev", { operatorCidrs: ["203.0.113.0/24"] })).toEqual([
      "SSH (22/tcp) is open to 85.214.0.7/32, which is neither an operator range (203.0.113.0/24) nor this deploy's runner",
    ]);
  });

  it("plans the whole media range whichever mediaPorts the stack sets, and refuses a firewall narrowed to the mux", async () => {
    for (const stack of ["mux", "range"]) expect(await check([...planned, ssh("85.214.0.7/32")], stack)).toEqual([]);
    const narrowed = [
      ...planned.slice(0, -1),
      { direction: "in", protocol: "udp", port: "50000-50007", sourceIps: ANY },
    ];
    expect(await check([...narrowed, ssh("85.214.0.7/32")], "mux")).toEqual([
      'rule "in udp 50000-50007" is not planned: the firewall opens only tcp 80, tcp 443, tcp 7881, udp 3478, udp 50000-60000, tcp 22',
      "planned port udp 50000-60000 has no rule: the host cannot serve it",
    ]);
  });

  it("says so when it has no operator ranges to check against", async () => {
    expect(await check([...planned, ssh("85.214.0.7/32")], "nofile")).toEqual([
      "SSH rule cannot be checked: no operator ranges (set roamcast:operatorCidrs in the stack file, or operatorCidrs in the pack config)",
    ]);
  });
});

describe("dns-never-proxied", () => {
  const record = (proxied: boolean) => ({
    type: "cloudflare:index/dnsRecord:DnsRecord",
    props: { name: "live.roamcast.app", type: "A", content: "198.51.100.20", proxied, ttl: 60 },
  });
  it("passes a DNS-only record and refuses a proxied one", async () => {
    expect(await resourceViolations(files, "dns-never-proxied", record(false))).toEqual([]);
    expect(await resourceViolations(files, "dns-never-proxied", record(true))).toEqual([
      "DNS record live.roamcast.app is proxied; set proxied: false (DNS only)",
    ]);
  });
});

describe("no-secret-in-user-data", () => {
  const server = (userData: string) => ({ type: SERVER, props: { serverType: "cx33", location: "fsn1", userData } });
  it("passes cloud-init without secrets", async () => {
    const clean = "#cloud-config\npackages:\n  - docker.io\nruncmd:\n  - [sysctl, --system]\n";
    expect(await resourceViolations(files, "no-secret-in-user-data", server(clean))).toEqual([]);
  });
  it("refuses LiveKit keys, a Redis password and a private key", async () => {
    const leaky = [
      "#cloud-config",
      "write_files:",
      "  - path: /opt/livekit/livekit.yaml",
      "    content: |",
      "      keys:",
      `        ${TEST_SECRETS.apiKey}: ${TEST_SECRETS.apiSecret}`,
      "  - path: /opt/livekit/redis.conf",
      `    content: "requirepass ${TEST_SECRETS.redisPassword}"`,
      "  - path: /root/.ssh/id_ed25519",
      "    content: |",
      "      -----BEGIN OPENSSH PRIVATE KEY-----",
    ].join("\n");
    expect(await resourceViolations(files, "no-secret-in-user-data", server(leaky))).toEqual([
      "user data holds a private key; secrets reach the host over SSH, never in user data",
      "user data holds a Redis password (requirepass); secrets reach the host over SSH, never in user data",
      "user data holds a LiveKit API key and secret (keys:); secrets reach the host over SSH, never in user data",
    ]);
    expect(await resourceViolations(files, "no-secret-in-user-data", server(`redis:\n  password: hunter22`))).toEqual([
      "user data holds a password, secret or token setting; secrets reach the host over SSH, never in user data",
    ]);
  });
});

describe("server-type-allowed", () => {
  const server = (serverType: string, location: string) => ({ type: SERVER, props: { serverType, location } });
  it("passes an orderable x86 type and refuses a retired, an Arm and a mislocated one", async () => {
    const check = (t: string, l: string) => resourceViolations(files, "server-type-allowed", server(t, l));
    expect(await check("cx33", "fsn1")).toEqual([]);
    expect(await check("cx32", "fsn1")).toEqual([
      'roamcast:serverType "cx32" is retired and can no longer be ordered; use its successor cx33 (in fsn1: cx23, cx33, cx43, cx53, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63)',
    ]);
    expect((await check("cax21", "fsn1"))[0]).toMatch(/^roamcast:serverType "cax21" is an Arm64 server/);
    expect((await check("cx33", "ash"))[0]).toMatch(/^roamcast:serverType "cx33" is not sold in ash/);
  });
});

describe("images-pinned", () => {
  const compose = (...images: string[]) =>
    `name: livekit\nservices:\n${images.map((image, i) => `  s${i}:\n    image: ${image}\n`).join("")}`;
  const command = (stdin: string) => ({ type: "command:remote:Command", props: { create: "stage", stdin } });
  const check = (stdin: string) => resourceViolations(files, "images-pinned", command(stdin));
  it("passes tags and digests, and stdin that is not a compose file", async () => {
    expect(await check(compose("livekit/livekit-server:v1.13.5", `redis@sha256:${"a".repeat(64)}`))).toEqual([]);
    expect(await check("ssh-ed25519 AAAA operator\n")).toEqual([]);
  });
  it("refuses latest and an untagged image", async () => {
    expect(await check(compose("livekit/livekit-server:latest", "redis", "livekit/caddyl4:v2.11.4"))).toEqual([
      'image "livekit/livekit-server:latest" is not pinned: give an exact tag other than latest, or a digest',
      'image "redis" is not pinned: give an exact tag other than latest, or a digest',
    ]);
  });
});

describe("no-plaintext-secret-outputs", () => {
  const PASSWORD = "Zr4xS9qLm2Vb7Nc1Pd6Tf3Hg8Jk5Wy0Ae2Ru4Io9";
  const resources = (outputs: Record<string, unknown>) => [
    { type: "random:index/randomPassword:RandomPassword", name: "livekit-redis-password", props: { result: PASSWORD } },
    { type: "pulumi:pulumi:Stack", name: "roamcast-dev", props: outputs },
  ];
  const check = (outputs: Record<string, unknown>) =>
    stackViolations(files, "no-plaintext-secret-outputs", resources(outputs));

  it("passes the program's outputs: addresses, URLs and the two it marks secret", async () => {
    expect(
      await check({ livekitUrl: "wss://live.roamcast.app", ipv4: "198.51.100.20", apiKey: "APIx", apiSecret: "y" }),
    ).toEqual([]);
  });
  it("refuses an output named like a secret, one holding a generated password, and a private key", async () => {
    expect(
      await check({
        redisPassword: "x",
        redisUrl: `redis://:${PASSWORD}@127.0.0.1:6379`,
        deploy: { key: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn" },
      }),
    ).toEqual([
      'output "redisPassword" is named like a secret; export it with pulumi.secret() and list it in SECRET_OUTPUTS',
      'output "redisUrl" holds a generated password or private key; export it with pulumi.secret() and list it in SECRET_OUTPUTS',
      'output "deploy" holds a private key; export it with pulumi.secret() and list it in SECRET_OUTPUTS',
    ]);
  });
});

describe("production-resources-protected", () => {
  const hetzner = (stack: string, protect: boolean) => [
    { stack, type: SERVER, name: "livekit-server", protect, props: { deleteProtection: protect } },
    {
      stack,
      type: "hcloud:index/primaryIp:PrimaryIp",
      name: "livekit-ip-ipv4",
      protect,
      props: { deleteProtection: true },
    },
    { stack, type: FIREWALL, name: "livekit-firewall", props: {} },
  ];
  const check = (stack: string, protect: boolean) =>
    stackViolations(files, "production-resources-protected", hetzner(stack, protect));

  it("passes a protected prod, and dev or a retired prod without protection", async () => {
    expect(await check("prod", true)).toEqual([]);
    expect(await check("dev", false)).toEqual([]);
    expect(await check("retired", false)).toEqual([]);
  });
  it("refuses unprotected server and addresses on prod", async () => {
    expect(await check("prod", false)).toEqual([
      "livekit-server (hcloud:index/server:Server) is not protected on production [livekit-server]",
      "livekit-server (hcloud:index/server:Server) has no Hetzner delete protection on production [livekit-server]",
      "livekit-ip-ipv4 (hcloud:index/primaryIp:PrimaryIp) is not protected on production [livekit-ip-ipv4]",
    ]);
  });
});

describe("the stack's context", () => {
  it("reads production, operator ranges and the deploy runner from the stack file; prod is production unless retired", () => {
    expect(stackContext("dev", files)).toEqual({
      stack: "dev",
      production: false,
      operatorCidrs: ["85.214.0.7/32", "2a01:4f8:c0c::/48"],
      deployCidrs: ["198.51.100.7/32"],
    });
    expect(stackContext("prod", files).production).toBe(true);
    expect(stackContext("prod", () => undefined).production).toBe(true);
    expect(stackContext("prod", stackFiles({ prod: { retire: "true" } })).production).toBe(false);
  });
});
