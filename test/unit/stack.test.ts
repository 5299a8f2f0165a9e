// The whole program under Pulumi's mocks, for a dev and a prod stack.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { readMigrations } from "../../db/migrations";
import { HOST_FILE_LAYOUT } from "../../templates";

const MIGRATIONS = readMigrations(join(__dirname, "..", "..", "migrations"));
import { validRawConfig, validSecretConfig } from "../support/fixtures";
import {
  isSecretInput,
  MOCK_IPV4,
  MOCK_IPV6,
  MOCK_ZONE_ID,
  type MockedRun,
  promiseOf,
  reveal,
  stackConfig,
  withMocks,
} from "../support/pulumiMocks";

const EXPECTED = [
  "livekit-server",
  "livekit-firewall",
  "livekit-deploy-apply",
  "livekit-deploy-authorized-keys",
  "livekit-deploy-ssh-reachable",
  ...HOST_FILE_LAYOUT.map((f) => `livekit-deploy-file-${f.name}`),
  "livekit-dns-live.roamcast.app-A",
  "livekit-dns-turn.roamcast.app-AAAA",
  "supabase-function-livekit-token",
  "supabase-function-livekit-webhook",
  "supabase-function-secrets-values",
  ...MIGRATIONS.map((m) => `supabase-migration-${m.version}`),
  "supabase-migration-identities",
];

async function runProgram(stack: string, overrides: Record<string, unknown> = {}) {
  const run = await withMocks(stack, stackConfig({ ...validRawConfig(overrides), ...validSecretConfig() }));
  const program = await import("../../index");
  await run.settle(EXPECTED);
  return { run, program };
}

describe("the dev stack", async () => {
  // Real-looking ranges: under `pulumi up` documentation ranges are refused as placeholders.
  const { run, program } = await runProgram("dev", { operatorCidrs: ["85.214.0.7/32", "2a01:4f8:c0c::/48"] });

  it("opens exactly the WebRTC ports to everyone and SSH to the operators", () => {
    const rules = run
      .one("hcloud:index/firewall:Firewall")
      .inputs.rules.map((r: any) => `${r.direction} ${r.protocol}/${r.port} from ${r.sourceIps.join(",")}`);
    expect(rules).toEqual([
      "in tcp/80 from 0.0.0.0/0,::/0",
      "in tcp/443 from 0.0.0.0/0,::/0",
      "in tcp/7881 from 0.0.0.0/0,::/0",
      "in udp/3478 from 0.0.0.0/0,::/0",
      "in udp/50000-60000 from 0.0.0.0/0,::/0",
      "in tcp/22 from 85.214.0.7/32,2a01:4f8:c0c::/48",
    ]);
  });

  it("creates a CX32-class server on the primary IPs, behind the firewall, unprotected in dev", () => {
    const server = run.one("hcloud:index/server:Server").inputs;
    const firewall = run.one("hcloud:index/firewall:Firewall");
    const ips = run.byType("hcloud:index/primaryIp:PrimaryIp");
    expect(server).toMatchObject({
      serverType: "cx33",
      location: "nbg1",
      image: "ubuntu-24.04",
      deleteProtection: false,
      rebuildProtection: false,
    });
    expect(ips.map((ip) => ip.inputs)).toEqual([
      expect.objectContaining({
        type: "ipv4",
        autoDelete: false,
        assigneeType: "server",
        location: "nbg1",
        deleteProtection: false,
      }),
      expect.objectContaining({
        type: "ipv6",
        autoDelete: false,
        assigneeType: "server",
        location: "nbg1",
        deleteProtection: false,
      }),
    ]);
    expect(server.publicNets).toHaveLength(1);
    expect(server.publicNets[0]).toMatchObject({ ipv4Enabled: true, ipv6Enabled: true });
    expect(server.firewallIds).toHaveLength(1);
    expect(firewall).toBeDefined();
    expect(server.labels).toEqual({ app: "roamcast", stack: "dev", role: "livekit" });
  });

  it("registers each operator key, named by its fingerprint, and the generated deploy key with Hetzner", () => {
    const keys = run.byType("hcloud:index/sshKey:SshKey");
    expect(keys.map((k) => k.name)).toEqual([
      expect.stringMatching(/^livekit-operator-[0-9a-f]{16}$/),
      "livekit-deploy",
    ]);
    expect(run.one("hcloud:index/server:Server").inputs.sshKeys).toHaveLength(2);
  });

  it("points A and AAAA records for both names at the primary IPs, never proxied", () => {
    const records = run.byType("cloudflare:index/dnsRecord:DnsRecord").map((r) => r.inputs);
    expect(records.map((r) => [r.name, r.type, r.content, r.proxied, r.zoneId]).sort()).toEqual([
      ["live.roamcast.app", "A", MOCK_IPV4, false, MOCK_ZONE_ID],
      ["live.roamcast.app", "AAAA", MOCK_IPV6, false, MOCK_ZONE_ID],
      ["turn.roamcast.app", "A", MOCK_IPV4, false, MOCK_ZONE_ID],
      ["turn.roamcast.app", "AAAA", MOCK_IPV6, false, MOCK_ZONE_ID],
    ]);
    for (const r of records) expect(r.ttl).toBeGreaterThan(0);
  });

  it("keeps every host file and secret out of the server's user data (the metadata service serves it)", async () => {
    const userData: string = reveal(run.one("hcloud:index/server:Server").inputs.userData);
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    for (const f of HOST_FILE_LAYOUT) expect(userData).not.toContain(`path: ${f.path}`);
    expect(userData).not.toContain(await promiseOf(program.apiSecret));
    expect(userData).not.toContain(await promiseOf(program.apiKey));
    const redis = reveal(run.one("command:remote:Command", "livekit-deploy-file-redis.conf").inputs.stdin) as string;
    const redisPassword = /^requirepass (\S+)$/m.exec(redis)![1]!;
    expect(userData).not.toContain(redisPassword);
  });

  it("pushes each file over SSH to the primary IPv4 as root with the deploy key, then applies them", () => {
    for (const f of HOST_FILE_LAYOUT) {
      const recorded = run.one("command:remote:Command", `livekit-deploy-file-${f.name}`).inputs;
      // Files with keys or passwords travel as secrets; the rest stay readable in previews.
      expect(isSecretInput(recorded.stdin), f.name).toBe(f.secret);
      expect(
        isSecretInput(recorded.connection.value?.privateKey ?? recorded.connection.privateKey) ||
          isSecretInput(recorded.connection),
      ).toBe(true);
      const cmd = reveal(recorded);
      expect(cmd.connection).toMatchObject({ host: MOCK_IPV4, user: "root", privateKey: "-----MOCK DEPLOY KEY-----" });
      expect(cmd.create).toContain(`.staged/${f.name}`);
      expect(cmd.stdin.length).toBeGreaterThan(0);
    }
    const apply = reveal(run.one("command:remote:Command", "livekit-deploy-apply").inputs);
    expect(apply.create).toContain("systemctl restart livekit-docker.service");
    // The apply step installs exactly the staged contents: it carries each one's sha256.
    for (const f of HOST_FILE_LAYOUT) {
      const content: string = reveal(run.one("command:remote:Command", `livekit-deploy-file-${f.name}`).inputs.stdin);
      expect(apply.create, f.name).toContain(createHash("sha256").update(content).digest("hex"));
    }
    expect(apply.triggers[1]).toHaveLength(HOST_FILE_LAYOUT.length);
    // Off production, a change waits (30 minutes by default) for live tours to end.
    expect(apply.create).toContain("python3 - 'wait' '1800' ");
  });

  it("checks that 22/tcp answers before any SSH step, and bounds every SSH dial to about two minutes", () => {
    const check = reveal(run.one("command:local:Command", "livekit-deploy-ssh-reachable").inputs);
    expect(check.environment).toEqual({ ROAMCAST_DEPLOY_HOST: MOCK_IPV4 });
    expect(check.interpreter).toEqual(["/bin/bash", "-c"]);
    expect(check.create).toContain("did the workflow open the deploy rule?");
    for (const c of run.byType("command:remote:Command")) {
      const { dialErrorLimit, perDialTimeout } = reveal(c.inputs).connection;
      expect(dialErrorLimit * perDialTimeout, c.name).toBeLessThanOrEqual(120);
      expect(dialErrorLimit, c.name).toBeGreaterThanOrEqual(3);
    }
  });

  it("exports the URLs and addresses, with the API key and secret as secrets", async () => {
    expect(await promiseOf(program.livekitUrl)).toBe("wss://live.roamcast.app");
    expect(program.turnHost).toBe("turn.roamcast.app");
    expect(await promiseOf(program.ipv4)).toBe(MOCK_IPV4);
    expect(await promiseOf(program.ipv6)).toBe(MOCK_IPV6);
    expect(await promiseOf(program.serverId)).toMatch(/^\d+$/);
    expect(await run.pulumi.isSecret(program.apiKey)).toBe(true);
    expect(await run.pulumi.isSecret(program.apiSecret)).toBe(true);
    expect(await promiseOf(program.apiKey)).toMatch(/^API/);
    expect((await promiseOf(program.apiSecret)).length).toBeGreaterThanOrEqual(32);
  });
});

describe("the Supabase backend of the dev stack", async () => {
  const { run, program } = await runProgram("dev");
  const commands = () => run.byType("command:local:Command");

  it("applies each migration as its own step, in order, carrying its down SQL for a later revert", () => {
    const migrations = run
      .byType("pulumi-nodejs:dynamic:Resource")
      .filter((c) => c.name.startsWith("supabase-migration-2"));
    // Named by version alone: a migration's identity is its version.
    expect(migrations.map((c) => c.name)).toEqual(MIGRATIONS.map((m) => `supabase-migration-${m.version}`));
    for (const [i, c] of migrations.entries()) {
      expect(isSecretInput(c.inputs.dbUrl)).toBe(true);
      const { version, name, up, down, dbUrl, allowDataLoss } = reveal(c.inputs);
      expect({ version, name, up, down }).toEqual(MIGRATIONS[i]);
      expect([dbUrl, allowDataLoss]).toEqual([validSecretConfig().supabaseDbUrl, false]);
    }
    expect(commands().filter((c) => c.name.startsWith("supabase-migration-"))).toEqual([]);
  });

  it("deploys both functions, the webhook without the gateway's JWT check", () => {
    const deploy = (name: string) => run.one("pulumi-nodejs:dynamic:Resource", `supabase-function-${name}`).inputs;
    const [token, webhook] = [deploy("livekit-token"), deploy("livekit-webhook")];
    expect(isSecretInput(token.accessToken)).toBe(true);
    expect(reveal(token.accessToken)).toBe(validSecretConfig().supabaseAccessToken);
    expect([token.slug, token.verifyJwt, webhook.slug, webhook.verifyJwt]).toEqual([
      "livekit-token",
      true,
      "livekit-webhook",
      false,
    ]);
    expect([token.projectRef, token.apiUrl]).toEqual(["abcdefghijklmnopqrst", "https://api.supabase.com"]);
    // Each uploads its own folder and the shared code; the hash covers exactly those files.
    expect(Object.keys(token.files)).toContain("livekit-token/index.ts");
    expect(Object.keys(token.files)).toContain("_shared/http.ts");
    expect(Object.keys(token.files).some((p) => p.startsWith("livekit-webhook/"))).toBe(false);
    expect(token.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(token.sourceHash).not.toBe(webhook.sourceHash);
    expect(commands().filter((c) => c.name.startsWith("supabase-function-"))).toEqual([]);
  });

  it("sets the functions' secrets from the LiveKit stack, as a secret", async () => {
    const recorded = run.one("pulumi-nodejs:dynamic:Resource", "supabase-function-secrets-values").inputs;
    expect(isSecretInput(recorded.secrets)).toBe(true);
    expect(isSecretInput(recorded.accessToken)).toBe(true);
    const secrets = reveal(recorded.secrets) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual([
      "LIVEKIT_API_KEY",
      "LIVEKIT_API_SECRET",
      "LIVEKIT_TOKEN_MAX_SECONDS",
      "LIVEKIT_URL",
    ]);
    expect(secrets.LIVEKIT_API_SECRET).toBe(await promiseOf(program.apiSecret));
    expect(secrets.LIVEKIT_URL).toBe("wss://live.roamcast.app");
    expect(secrets.LIVEKIT_TOKEN_MAX_SECONDS).toBe(String(3 * 3600 + 1800));
    expect([recorded.projectRef, recorded.apiUrl]).toEqual(["abcdefghijklmnopqrst", "https://api.supabase.com"]);
  });

  it("points LiveKit's webhook at the livekit-webhook function", async () => {
    const livekitYaml: string = reveal(
      run.one("command:remote:Command", "livekit-deploy-file-livekit.yaml").inputs.stdin,
    );
    expect(livekitYaml).toContain("https://abcdefghijklmnopqrst.supabase.co/functions/v1/livekit-webhook");
    expect(program.livekitWebhookUrl).toBe("https://abcdefghijklmnopqrst.supabase.co/functions/v1/livekit-webhook");
  });
});

describe("the prod stack", async () => {
  const { run } = await runProgram("prod", { production: true, location: "fsn1" });

  it("turns on delete and rebuild protection for the server and its addresses", () => {
    expect(run.one("hcloud:index/server:Server").inputs).toMatchObject({
      location: "fsn1",
      deleteProtection: true,
      rebuildProtection: true,
    });
    for (const ip of run.byType("hcloud:index/primaryIp:PrimaryIp")) expect(ip.inputs.deleteProtection).toBe(true);
  });

  it("refuses to restart LiveKit under live tours unless the stack says otherwise", () => {
    const apply = reveal(run.one("command:remote:Command", "livekit-deploy-apply").inputs);
    expect(apply.create).toContain("python3 - 'refuse' ");
    expect(apply.create.indexOf("guard_active_tours || exit 1")).toBeLessThan(apply.create.indexOf("cp -p"));
  });
});

describe("bad config", () => {
  it("fails before any resource is created, naming the key", async () => {
    let run: MockedRun | undefined;
    await expect(
      (async () => {
        run = await withMocks(
          "prod",
          stackConfig({ ...validRawConfig({ operatorCidrs: ["0.0.0.0/0"] }), ...validSecretConfig() }),
        );
        await import("../../index");
      })(),
    ).rejects.toThrow(
      /roamcast:operatorCidrs\[0\] "0.0.0.0\/0" opens SSH to the whole Internet[\s\S]*roamcast:production must be true on the prod stack/,
    );
    expect(run!.resources).toEqual([]);
  });
});

describe("a stack that allows one migration's revert to delete rows", async () => {
  const { run } = await runProgram("dev", {
    operatorCidrs: ["85.214.0.7/32"],
    allowDataLossMigrations: [`${MIGRATIONS[1]!.version}_${MIGRATIONS[1]!.name}`],
  });

  it("carries the allowance to that migration's step alone", () => {
    const allowances = run
      .byType("pulumi-nodejs:dynamic:Resource")
      .filter((r) => r.name.startsWith("supabase-migration-2"))
      .map((r) => [r.name, r.inputs.allowDataLoss]);
    expect(allowances).toEqual(MIGRATIONS.map((m, i) => [`supabase-migration-${m.version}`, i === 1]));
  });
});
