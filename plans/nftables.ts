// The Hetzner firewall plan as an nftables ruleset, so that a Linux network
// namespace can stand for the host behind its cloud firewall. Same semantics
// as Hetzner's: inbound traffic is dropped unless a rule opens it, replies to
// the host's own connections pass (the cloud firewall is stateful), outbound
// is open, and nothing is added that the plan does not say. Like Hetzner's,
// it sees public traffic only: with several nodes, the private network
// (plans/nodes.ts) is not filtered by the cloud firewall at all, and Redis's
// bind address and password guard it instead (templates/redis.ts).
import { isIP } from "node:net";
import type { FirewallRulePlan } from "./firewall";

export const NFT_TABLE = "hetzner_firewall";

/** One nft rule per plan rule and address family present in its sources. */
export function nftRuleLines(rule: FirewallRulePlan): string[] {
  if (rule.direction !== "in")
    throw new Error(`nftRuleLines: only inbound rules exist in the plan, got ${rule.direction}`);
  if (!/^\d+(-\d+)?$/.test(rule.port)) throw new Error(`nftRuleLines: port "${rule.port}" is not "N" or "N-M"`);
  const byFamily = { ip: [] as string[], ip6: [] as string[] };
  for (const cidr of rule.sourceIps) {
    const family = isIP(cidr.split("/")[0] ?? "");
    if (family === 4) byFamily.ip.push(cidr);
    else if (family === 6) byFamily.ip6.push(cidr);
    else throw new Error(`nftRuleLines: source "${cidr}" of rule "${rule.description}" is not an IPv4 or IPv6 CIDR`);
  }
  const comment = `comment "${rule.description.replace(/"/g, "'")}"`;
  return (["ip", "ip6"] as const)
    .filter((family) => byFamily[family].length > 0)
    .map(
      (family) =>
        `${family} saddr { ${byFamily[family].join(", ")} } ${rule.protocol} dport ${rule.port} accept ${comment}`,
    );
}

/** A complete ruleset for `nft -f`: replaces only its own table. */
export function nftablesRuleset(plan: readonly FirewallRulePlan[]): string {
  const rules = plan.flatMap(nftRuleLines);
  return [
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    // The host talking to itself (Caddy → LiveKit, LiveKit → Redis) never
    // crosses the cloud firewall.
    '    iifname "lo" accept',
    "    ct state established,related accept",
    ...rules.map((r) => `    ${r}`),
    "  }",
    "}",
    "",
  ].join("\n");
}
