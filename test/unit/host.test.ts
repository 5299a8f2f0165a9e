// The LivekitHost component under Pulumi's mocks: SSH keys named by
// fingerprint, and the firewall's deploy rule for a CI runner.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { LivekitHostArgs } from "../../components/host";
import { opensshPublicKey } from "../support/fixtures";
import { promiseOf, withMocks } from "../support/pulumiMocks";

async function hostUnderMocks(overrides: Partial<LivekitHostArgs> = {}) {
  const run = await withMocks("dev", {});
  const { LivekitHost } = await import("../../components/host");
  const host = new LivekitHost("livekit", {
    serverType: "cx33",
    location: "nbg1",
    image: "ubuntu-24.04",
    sshPublicKeys: [opensshPublicKey()],
    operatorCidrs: ["203.0.113.7/32"],
    media: { mode: "range" },
    ipv4Id: 1,
    ipv6Id: 2,
    userData: "#cloud-config\n",
    labels: {},
    protect: false,
    ...overrides,
  });
  await run.settle(["livekit-firewall", "livekit-server"]);
  return { run, host };
}

describe("operator SSH keys", () => {
  const operatorKeyNames = async (sshPublicKeys: string[]) => {
    const { run } = await hostUnderMocks({ sshPublicKeys });
    return run
      .byType("hcloud:index/sshKey:SshKey")
      .map((k) => k.name)
      .filter((n) => n.startsWith("livekit-operator-"));
  };

  it("removing the first of two keys leaves the second's resource name unchanged", async () => {
    const [alice, bob] = [opensshPublicKey("alice@laptop"), opensshPublicKey("bob@laptop")];
    const before = await operatorKeyNames([alice, bob]);
    const after = await operatorKeyNames([bob]);
    expect(new Set(before).size).toBe(2);
    expect(after).toEqual([before[1]]);
  });

  it("a changed comment keeps the key's name (the fingerprint covers the key blob only)", async () => {
    const key = opensshPublicKey("carol@laptop");
    const renamed = key.replace("carol@laptop", "carol@desktop");
    expect(await operatorKeyNames([renamed])).toEqual(await operatorKeyNames([key]));
  });
});

describe("the host's firewall", () => {
  const udpPorts = async (media: LivekitHostArgs["media"]) => {
    const { run } = await hostUnderMocks({ media });
    return run
      .one("hcloud:index/firewall:Firewall")
      .inputs.rules.filter((r: any) => r.protocol === "udp")
      .map((r: any) => r.port);
  };

  it("opens the whole media range whichever media ports LiveKit takes, so switching them never touches the firewall", async () => {
    expect(await udpPorts({ mode: "range" })).toEqual(["3478", "50000-60000"]);
    expect(await udpPorts({ mode: "mux", sockets: 4 })).toEqual(["3478", "50000-60000"]);
  });
});

describe("the host during a CI deploy", () => {
  it("opens SSH to the runner's address passed as deployCidrs, in its own rule, beside the operators'", async () => {
    const { run } = await hostUnderMocks({ deployCidrs: ["198.51.100.44/32"] });
    const ssh = run
      .one("hcloud:index/firewall:Firewall")
      .inputs.rules.filter((r: any) => r.port === "22")
      .map((r: any) => r.sourceIps);
    expect(ssh).toEqual([["203.0.113.7/32"], ["198.51.100.44/32"]]);
  });

  it("the deploy workflow's closing step targets exactly this firewall's URN", async () => {
    const { host } = await hostUnderMocks();
    const deploy = parse(readFileSync(join(__dirname, "..", "..", ".github", "workflows", "deploy.yml"), "utf8"));
    const closeTarget = deploy.jobs.dev.steps.find((s: any) => s.with?.target)?.with.target;
    expect(await promiseOf(host.firewall.urn)).toBe(closeTarget);
  });
});
