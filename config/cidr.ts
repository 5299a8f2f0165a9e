// IPv4 and IPv6 CIDR blocks as numbers: parsed strictly, spelled one canonical
// way (RFC 5952 for IPv6), and measured as a union, so that a rule about how
// much of the Internet a list opens cannot be dodged by spelling or splitting.

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** The address as written, host bits included. */
  readonly address: bigint;
  readonly prefix: number;
}

export const FAMILY_BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** The IPv4-mapped block ::ffff:0:0/96: no packet on the wire carries such a source. */
const MAPPED_PREFIX = 0xffffn << 32n;

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const prefix = Number(m[2]);
  const v4 = parseIpv4(m[1]!);
  if (v4 !== undefined) return prefix <= 32 ? { family: 4, address: v4, prefix } : undefined;
  const v6 = parseIpv6(m[1]!);
  if (v6 !== undefined) return prefix <= 128 ? { family: 6, address: v6, prefix } : undefined;
  return undefined;
}

/** Dotted decimal, four octets, no leading zeros (some tools read those as octal). */
function parseIpv4(text: string): bigint | undefined {
  const octets = text.split(".");
  if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255)) return undefined;
  return octets.reduce((n, o) => (n << 8n) | BigInt(o), 0n);
}

/** Eight hex groups, one `::` for a run of zeros, an optional dotted IPv4 tail; no zone index. */
function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const last = halves.length === 2 ? tail : head;
  if (last.length > 0 && last[last.length - 1]!.includes(".")) {
    const v4 = parseIpv4(last.pop()!);
    if (v4 === undefined) return undefined;
    last.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const given = head.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - given).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((n, g) => (n << 16n) | BigInt(`0x${g}`), 0n);
}

function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
  if (value >> 32n === MAPPED_PREFIX >> 32n) return `::ffff:${formatAddress(4, value & 0xffffffffn)}`;
  const groups = [...Array(8).keys()].map((i) => (value >> BigInt(112 - 16 * i)) & 0xffffn);
  // RFC 5952: compress the longest run of two or more zero groups (the first of equals).
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: bigint[]) => gs.map((g) => g.toString(16)).join(":");
  if (best.start < 0) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.length))}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.address)}/${c.prefix}`;
}

/** The canonical spelling of a valid CIDR; text that does not parse comes back unchanged. */
export function canonicalCidr(text: string): string {
  const c = parseCidr(text);
  return c ? formatCidr(c) : text;
}

function hostMask(c: Cidr): bigint {
  return (1n << BigInt(FAMILY_BITS[c.family] - c.prefix)) - 1n;
}

export function networkOf(c: Cidr): Cidr {
  return { ...c, address: c.address & ~hostMask(c) };
}

export function hasHostBits(c: Cidr): boolean {
  return (c.address & hostMask(c)) !== 0n;
}

/** The IPv4 block an IPv4-mapped IPv6 block stands for, if it is one. */
export function mappedIpv4(c: Cidr): Cidr | undefined {
  if (c.family !== 6 || c.prefix < 96 || c.address >> 32n !== MAPPED_PREFIX >> 32n) return undefined;
  return { family: 4, address: c.address & 0xffffffffn, prefix: c.prefix - 96 };
}

/** True when inner lies wholly inside outer (same family). */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    inner.prefix >= outer.prefix &&
    networkOf({ ...inner, prefix: outer.prefix }).address === networkOf(outer).address
  );
}

/** The block both cover (CIDR blocks are nested or disjoint), if any. */
export function overlapOf(a: Cidr, b: Cidr): Cidr | undefined {
  if (contains(a, b)) return b;
  if (contains(b, a)) return a;
  return undefined;
}

/** How many addresses of one family the blocks cover together, overlaps counted once. */
export function coveredAddresses(blocks: readonly Cidr[]): bigint {
  const ranges = blocks
    .map(networkOf)
    .map((c) => [c.address, c.address + hostMask(c)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let total = 0n;
  let current: [bigint, bigint] | undefined;
  for (const [start, end] of ranges) {
    if (current && start <= current[1] + 1n) {
      if (end > current[1]) current[1] = end;
      continue;
    }
    if (current) total += current[1] - current[0] + 1n;
    current = [start, end];
  }
  return current ? total + current[1] - current[0] + 1n : total;
}
