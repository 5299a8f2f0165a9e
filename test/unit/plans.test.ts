import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planDnsRecords } from "../../plans/dns";
import { planFirewallRules } from "../../plans/firewall";
import { publicPorts } from "../../templates";

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
