// The firewall plan as nftables: every plan rule becomes an accept for its
// protocol, ports and sources; nothing else is accepted from outside.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planFirewallRules, type FirewallRulePlan } from "../../plans/firewall";
import { nftablesRuleset, nftRuleLines } from "../../plans/nftables";
import { publicPorts } from "../../templates";

const plan = planFirewallRules(publicPorts(), ["203.0.113.7/32", "2001:db8::/48"]);

/** The accept rules of a ruleset, without comments: what the kernel would match on. */
const accepts = (ruleset: string) =>
  ruleset
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /saddr .* accept/.test(l))
    .map((l) => l.replace(/ comment ".*"$/, ""));

describe("nftables ruleset from the firewall plan", () => {
  it("accepts exactly the plan's ports, per family, and drops the rest", () => {
    const ruleset = nftablesRuleset(plan);
    expect(ruleset).toContain("type filter hook input priority filter; policy drop;");
    expect(accepts(ruleset)).toEqual([
      "ip saddr { 0.0.0.0/0 } tcp dport 80 accept",
      "ip6 saddr { ::/0 } tcp dport 80 accept",
      "ip saddr { 0.0.0.0/0 } tcp dport 443 accept",
      "ip6 saddr { ::/0 } tcp dport 443 accept",
      "ip saddr { 0.0.0.0/0 } tcp dport 7881 accept",
      "ip6 saddr { ::/0 } tcp dport 7881 accept",
      "ip saddr { 0.0.0.0/0 } udp dport 3478 accept",
      "ip6 saddr { ::/0 } udp dport 3478 accept",
      "ip saddr { 0.0.0.0/0 } udp dport 50000-60000 accept",
      "ip6 saddr { ::/0 } udp dport 50000-60000 accept",
      "ip saddr { 203.0.113.7/32 } tcp dport 22 accept",
      "ip6 saddr { 2001:db8::/48 } tcp dport 22 accept",
    ]);
  });

  it("follows the plan: a port removed from the plan is gone from the ruleset", () => {
    fc.assert(
      fc.property(fc.subarray(plan, { minLength: 1 }), (subset: FirewallRulePlan[]) => {
        const ports = accepts(nftablesRuleset(subset)).map((l) => l.split(" dport ")[1]!.split(" ")[0]);
        expect(new Set(ports)).toEqual(new Set(subset.map((r) => r.port)));
      }),
    );
  });

  it("names the rule when a source is not a CIDR", () => {
    expect(() => nftRuleLines({ ...plan[0]!, sourceIps: ["example.org/32"] })).toThrow(
      'nftRuleLines: source "example.org/32" of rule "caddy: ACME HTTP-01 certificate challenges" is not an IPv4 or IPv6 CIDR',
    );
  });
});
