// Who may reach SSH (22/tcp): the operatorCidrs rules.
//
// Every stack: each entry must be a CIDR block whose address is its network
// (host bits set are reported, not silently widened or narrowed: "203.0.113.7/24"
// may mean the /24 or the one address, and only the operator knows which), and
// not an IPv4-mapped IPv6 block, which no packet ever arrives from.
//
// Production (production: true, or the stack named prod): the blocks together,
// overlaps counted once, may cover at most
//   - a /16 of public IPv4 (65,536 addresses): an operator range is an office, a
//     VPN's egress or at worst the pool a provider hands a home line's dynamic
//     address from, and none of those is wider than a /16; anything wider is a
//     share of other people's Internet, and splitting it into small blocks is the same;
//   - a /32 of public IPv6: the smallest allocation a registry gives one provider
//     (a site gets a /48, a home line a /56 to /64), so a dynamic home prefix fits.
// Only publicly routable addresses count: a private or reserved source (10.0.0.0/8,
// fc00::/7 ...) never reaches the server's public address from the Internet, and
// Hetzner's firewall does not filter its private networks. A set that covers a
// whole family, private space included, is named as the whole Internet.
import {
  canonicalCidr,
  type Cidr,
  coveredAddresses,
  FAMILY_BITS,
  type Family,
  formatCidr,
  hasHostBits,
  mappedIpv4,
  networkOf,
  overlapOf,
  parseCidr,
} from "./cidr";
import { fullKey } from "./fields";

const PRODUCTION_SSH_BOUND: Record<Family, { readonly prefix: number; readonly what: string }> = {
  4: { prefix: 16, what: "an office or a VPN egress" },
  6: { prefix: 32, what: "one provider's allocation" },
};

const KEY = fullKey("operatorCidrs");

/** Sources that never reach a public address over the Internet (RFC 6890's special-purpose blocks). */
const NOT_PUBLIC: Record<Family, readonly Cidr[]> = {
  4: [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/3",
  ].map((t) => parseCidr(t)!),
  // Global unicast is 2000::/3; everything else is local, multicast or unassigned.
  6: ["::/3", "4000::/2", "8000::/1"].map((t) => parseCidr(t)!),
};

/** Public addresses the blocks cover together: all they cover, less what they cover of NOT_PUBLIC. */
function publicAddresses(blocks: readonly Cidr[], family: Family): bigint {
  const hidden = blocks.flatMap((b) => NOT_PUBLIC[family].flatMap((np) => overlapOf(b, np) ?? []));
  return coveredAddresses(blocks) - coveredAddresses(hidden);
}

export function operatorRangeProblems(cidrs: readonly string[], production: boolean): string[] {
  const problems: string[] = [];
  const blocks: Cidr[] = [];
  cidrs.forEach((text, i) => {
    const c = parseCidr(text);
    if (!c) {
      problems.push(
        `${KEY}[${i}] "${text}" is not a CIDR block; write an address with its prefix, e.g. 203.0.113.7/32 or 2001:db8::/48`,
      );
      return;
    }
    const mapped = mappedIpv4(c);
    if (mapped) {
      problems.push(
        `${KEY}[${i}] "${text}" is an IPv4-mapped IPv6 range, which no packet arrives from; write it as ${formatCidr(mapped)}`,
      );
      return;
    }
    if (hasHostBits(c)) problems.push(hostBitsProblem(i, text, c));
    if (production && c.prefix === 0)
      problems.push(
        `${KEY}[${i}] "${text}" opens SSH to the whole Internet, which a production stack refuses; list the operators' own addresses`,
      );
    blocks.push(c);
  });
  if (production) problems.push(...breadthProblems(blocks));
  return problems;
}

function hostBitsProblem(i: number, text: string, c: Cidr): string {
  const single = formatCidr({ ...c, prefix: FAMILY_BITS[c.family] });
  return `${KEY}[${i}] "${text}" has bits set after its /${c.prefix} prefix; write the network ${formatCidr(networkOf(c))}, or ${single} for that one address`;
}

/** The union per family against the production bound; a /0 entry was already named on its own. */
function breadthProblems(blocks: readonly Cidr[]): string[] {
  const problems: string[] = [];
  for (const family of [4, 6] as const) {
    const mine = blocks.filter((c) => c.family === family);
    if (mine.some((c) => c.prefix === 0)) continue;
    const bits = FAMILY_BITS[family];
    const bound = PRODUCTION_SSH_BOUND[family];
    const reachable = publicAddresses(mine, family);
    if (coveredAddresses(mine) === 1n << BigInt(bits)) {
      problems.push(
        `${KEY} together open SSH to the whole IPv${family} Internet, which a production stack refuses; list the operators' own addresses`,
      );
    } else if (reachable > 1n << BigInt(bits - bound.prefix)) {
      problems.push(
        `${KEY} together cover ${sizeInWords(reachable, family)}; a production stack allows at most a /${bound.prefix} of public IPv${family} in total (${bound.what}): list only the operators' own ranges`,
      );
    }
  }
  return problems;
}

/** "as many public IPv4 addresses as a /15", or "more public IPv4 addresses than a /16" between powers of two. */
function sizeInWords(count: bigint, family: Family): string {
  const log2 = count.toString(2).length - 1;
  const prefix = FAMILY_BITS[family] - log2;
  return count === 1n << BigInt(log2)
    ? `as many public IPv${family} addresses as a /${prefix}`
    : `more public IPv${family} addresses than a /${prefix}`;
}

const DEPLOY_KEY = fullKey("deployCidrs");

/** The deploy workflow's addresses, from the comma-separated string the workflow can pass (it sets no lists). */
export function deployCidrList(value: string): string[] {
  return value
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "")
    .map((c) => (parseCidr(c) ? canonicalCidr(c) : c));
}

/** Each deploy address must be exactly one machine: the runner of this `up`, never a range. */
export function deployRangeProblems(value: string): string[] {
  return deployCidrList(value).flatMap((text, i) => {
    const c = parseCidr(text);
    if (!c || mappedIpv4(c))
      return [
        `${DEPLOY_KEY} entry ${i + 1} "${text}" is not an address; the deploy workflow sets its runner's own, e.g. 198.51.100.7/32`,
      ];
    if (c.prefix !== FAMILY_BITS[c.family])
      return [
        `${DEPLOY_KEY} entry ${i + 1} "${text}" is a range; a deploy opens SSH to its one runner only: give a single address (/${FAMILY_BITS[c.family]})`,
      ];
    return [];
  });
}
