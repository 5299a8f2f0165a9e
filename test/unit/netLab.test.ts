// The lab's site routers: each ruleset says what its network does (UDP dropped
// both ways, only TCP 443 out, loss); test/tools/nftables.test.ts has nft check them.
import { describe, expect, it } from "vitest";
import { routerRuleset, type SitePolicy } from "../../local/netLab";

const policies: SitePolicy[] = ["nat", "no-udp", "tcp443-only"];

describe("site router rulesets", () => {
  it("masquerades every site; the office drops UDP in both directions; the hotel lets only TCP 443 out", () => {
    for (const policy of policies) expect(routerRuleset(policy)).toContain('oifname "wan0" masquerade');
    expect(routerRuleset("nat")).not.toMatch(/drop/);
    expect(routerRuleset("no-udp")).toContain("meta l4proto udp drop");
    const hotel = routerRuleset("tcp443-only");
    expect(hotel).toContain('iifname "lan0" tcp dport 443 accept');
    expect(
      hotel
        .trim()
        .split("\n")
        .filter((l) => l.trim() === "drop"),
    ).toHaveLength(1);
  });

  it("drops the given share of packets at random, and refuses a share that is not a percentage", () => {
    expect(routerRuleset("nat", 3)).toContain("numgen random mod 10000 < 300 drop");
    expect(routerRuleset("nat", 0)).not.toContain("numgen");
    expect(() => routerRuleset("nat", 100)).toThrow("lossPercent 100 must be in [0, 100)");
  });
});
