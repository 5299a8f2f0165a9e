// Pure planning of the DNS records: A and AAAA for each host name, never
// proxied (WebRTC media, TURN and Caddy's ACME challenges need the origin).
export interface DnsRecordPlan {
  readonly host: string;
  readonly type: "A" | "AAAA";
  readonly address: "ipv4" | "ipv6";
  readonly proxied: false;
  readonly ttl: number;
}

/** The addresses are primary IPs that outlive the server, so a long TTL costs nothing. */
const DNS_TTL_SECONDS = 300;

export function planDnsRecords(hosts: readonly string[]): DnsRecordPlan[] {
  const unique = [...new Set(hosts)];
  if (unique.length !== hosts.length)
    throw new Error(`planDnsRecords: host names must be distinct, got ${hosts.join(", ")}`);
  return unique.flatMap((host) => [
    { host, type: "A" as const, address: "ipv4" as const, proxied: false as const, ttl: DNS_TTL_SECONDS },
    { host, type: "AAAA" as const, address: "ipv6" as const, proxied: false as const, ttl: DNS_TTL_SECONDS },
  ]);
}
