// Pure planning of the Hetzner firewall: the host model's public ports from
// anywhere, SSH from the operators only, and — for the length of one CI
// deploy — from the runner's own address; nothing else.
import { isIP } from "node:net";
import type { PublicPort } from "../templates/model";

export const ANYWHERE = ["0.0.0.0/0", "::/0"] as const;
export const SSH_PORT = 22;

export interface FirewallRulePlan {
  readonly direction: "in";
  readonly protocol: "tcp" | "udp";
  /** Hetzner's syntax: "443" or "50000-60000". */
  readonly port: string;
  readonly sourceIps: readonly string[];
  readonly description: string;
}

export function portSpec(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}

/**
 * `deployCidrs` are the addresses of the machine running this `up` (a CI
 * runner), each a single address: the workflow passes its own for one `up`
 * and removes it with the next (README: CI).
 */
export function planFirewallRules(
  ports: readonly PublicPort[],
  operatorCidrs: readonly string[],
  deployCidrs: readonly string[] = [],
): FirewallRulePlan[] {
  if (operatorCidrs.length === 0) throw new Error("planFirewallRules: at least one operator CIDR is needed for SSH");
  for (const cidr of deployCidrs) {
    if (!isSingleAddress(cidr))
      throw new Error(
        `planFirewallRules: deploy CIDR "${cidr}" must be one address (/32 or /128): the deploy rule opens SSH to the CI runner only`,
      );
  }
  const deployOnly = [...new Set(deployCidrs)].filter((c) => !operatorCidrs.includes(c));
  return [
    ...ports.map((p) => ({
      direction: "in" as const,
      protocol: p.protocol,
      port: portSpec(p.from, p.to),
      sourceIps: [...ANYWHERE],
      description: `${p.service}: ${p.purpose}`,
    })),
    sshRule([...new Set(operatorCidrs)], "ssh: operators only"),
    ...(deployOnly.length > 0 ? [sshRule(deployOnly, "ssh: CI deploy runner, for one deploy only")] : []),
  ];
}

function sshRule(sourceIps: string[], description: string): FirewallRulePlan {
  return { direction: "in", protocol: "tcp", port: String(SSH_PORT), sourceIps, description };
}

function isSingleAddress(cidr: string): boolean {
  const [address, prefix, ...rest] = cidr.split("/");
  if (rest.length > 0 || !address || prefix === undefined) return false;
  const family = isIP(address);
  return (family === 4 && prefix === "32") || (family === 6 && prefix === "128");
}
