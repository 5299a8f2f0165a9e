// The nftables rulesets the network lab loads, checked by nft's own parser:
// the server's firewall (from the firewall plan) and each site router's.
import { describe, expect, it } from "vitest";
import { routerRuleset, type SitePolicy } from "../../local/netLab";
import { run, systemTool } from "../../local/processes";
import { planFirewallRules } from "../../plans/firewall";
import { nftablesRuleset } from "../../plans/nftables";
import { publicPorts } from "../../templates";

const nftCheck = (ruleset: string) => run(systemTool("nft", "nftables"), ["--check", "-f", "-"], { input: ruleset });

describe("nft --check", () => {
  it("accepts the firewall plan's ruleset", () => {
    const result = nftCheck(nftablesRuleset(planFirewallRules(publicPorts(), ["203.0.113.7/32", "2001:db8::/48"])));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it.each<SitePolicy>(["nat", "no-udp", "tcp443-only"])("accepts the %s router's ruleset", (policy) => {
    const result = nftCheck(routerRuleset(policy, 3));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
