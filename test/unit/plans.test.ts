import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planDnsRecords } from "../../plans/dns";
import { planFirewallRules } from "../../plans/firewall";
import { planOperatorKeys, sshKeyFingerprint } from "../../plans/sshKeys";
import { publicPorts } from "../../templates";
import { run, systemTool } from "../../local/processes";
import { opensshPublicKey } from "../support/fixtures";

const anywhere = ["0.0.0.0/0", "::/0"];

describe("firewall plan", () => {
  it("is exactly 80, 443, 7881/tcp, 3478/udp and 50000-60000/udp from anywhere, and SSH from the operators", () => {
    expect(
      planFirewallRules(publicPorts(), ["203.0.113.7/32", "2001:db8::/48"]).map(({ description, ...r }) => r),
    ).toEqual([
      { direction: "in", protocol: "tcp", port: "80", sourceIps: anywhere },
      { direction: "in", protocol: "tcp", port: "443", sourceIps: anywhere },
      { direction: "in", protocol: "tcp", port: "7881", sourceIps: anywhere },
      { direction: "in", protocol: "udp", port: "3478", sourceIps: anywhere },
      { direction: "in", protocol: "udp", port: "50000-60000", sourceIps: anywhere },
      { direction: "in", protocol: "tcp", port: "22", sourceIps: ["203.0.113.7/32", "2001:db8::/48"] },
    ]);
  });

  it("SSH is open to exactly the operators' CIDRs, whatever they are", () => {
    const cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([ip, p]) => `${ip}/${p}`);
    fc.assert(
      fc.property(fc.uniqueArray(cidr, { minLength: 1, maxLength: 6 }), (cidrs) => {
        const rules = planFirewallRules(publicPorts(), cidrs);
        const ssh = rules.filter((r) => r.port === "22");
        expect(ssh).toHaveLength(1);
        expect(ssh[0]!.sourceIps).toEqual(cidrs);
        expect(rules.filter((r) => r.sourceIps.some((s) => anywhere.includes(s))).map((r) => r.port)).not.toContain(
          "22",
        );
      }),
    );
  });

  it("refuses to plan without an operator address", () => {
    expect(() => planFirewallRules(publicPorts(), [])).toThrow(
      "planFirewallRules: at least one operator CIDR is needed for SSH",
    );
  });
});

describe("firewall plan for a CI deploy", () => {
  const ssh = (rules: ReturnType<typeof planFirewallRules>) =>
    rules.filter((r) => r.port === "22").map((r) => r.sourceIps);

  it("opens SSH to the deploy runner's single address in a rule of its own, beside the operators'", () => {
    const rules = planFirewallRules(publicPorts(), ["203.0.113.7/32"], ["198.51.100.44/32"]);
    expect(ssh(rules)).toEqual([["203.0.113.7/32"], ["198.51.100.44/32"]]);
    expect(rules.at(-1)!.description).toMatch(/deploy/);
  });

  it("without a deploy address (every up but the workflow's), there is no deploy rule", () => {
    expect(planFirewallRules(publicPorts(), ["203.0.113.7/32"], [])).toEqual(
      planFirewallRules(publicPorts(), ["203.0.113.7/32"]),
    );
  });

  it("refuses a deploy range wider than one address, naming it", () => {
    for (const wide of ["0.0.0.0/0", "198.51.100.0/24", "::/0", "2001:db8::/64", "198.51.100.44"]) {
      expect(() => planFirewallRules(publicPorts(), ["203.0.113.7/32"], [wide]), wide).toThrow(
        `planFirewallRules: deploy CIDR "${wide}" must be one address (/32 or /128)`,
      );
    }
    expect(() => planFirewallRules(publicPorts(), ["203.0.113.7/32"], ["2001:db8::44/128"])).not.toThrow();
  });
});

describe("DNS plan", () => {
  it("gives each host an A and an AAAA record, never proxied", () => {
    expect(planDnsRecords(["live.roamcast.app", "turn.roamcast.app"])).toEqual([
      { host: "live.roamcast.app", type: "A", address: "ipv4", proxied: false, ttl: 300 },
      { host: "live.roamcast.app", type: "AAAA", address: "ipv6", proxied: false, ttl: 300 },
      { host: "turn.roamcast.app", type: "A", address: "ipv4", proxied: false, ttl: 300 },
      { host: "turn.roamcast.app", type: "AAAA", address: "ipv6", proxied: false, ttl: 300 },
    ]);
  });

  it("no record is ever proxied, for any set of names", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.domain(), { minLength: 1, maxLength: 5 }), (hosts) => {
        const plan = planDnsRecords(hosts);
        expect(plan).toHaveLength(hosts.length * 2);
        expect(plan.every((r) => r.proxied === false)).toBe(true);
      }),
    );
  });

  it("refuses the same name twice", () => {
    expect(() => planDnsRecords(["a.roamcast.app", "a.roamcast.app"])).toThrow(
      "planDnsRecords: host names must be distinct, got a.roamcast.app, a.roamcast.app",
    );
  });
});

describe("operator SSH key plan", () => {
  it("names a key by the SHA-256 of its blob, the fingerprint ssh-keygen prints", () => {
    const key = opensshPublicKey("dana@laptop");
    const printed = run(systemTool("ssh-keygen", "openssh-client"), ["-l", "-E", "sha256", "-f", "-"], { input: key });
    expect(printed.status, printed.stderr).toBe(0);
    const base64 = /SHA256:([A-Za-z0-9+/]+)/.exec(printed.stdout)![1]!;
    expect(Buffer.from(base64, "base64").toString("hex")).toBe(sshKeyFingerprint(key));
  });

  it("keeps each key's place in the list (the old name, adopted by alias) and registers a repeated key once", () => {
    const [a, b] = [opensshPublicKey("a@x"), opensshPublicKey("b@x")];
    const plan = planOperatorKeys([a, b, a.replace("a@x", "a@y")]);
    expect(plan.map((k) => [k.publicKey, k.index])).toEqual([
      [a, 0],
      [b, 1],
    ]);
    expect(plan.every((k) => /^[0-9a-f]{16}$/.test(k.fingerprint))).toBe(true);
  });

  it("refuses a line that is not a public key, saying what it expects", () => {
    expect(() => sshKeyFingerprint("not a key")).toThrow(/is not an OpenSSH public key line/);
  });
});
