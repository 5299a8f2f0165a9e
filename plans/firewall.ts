// Pure planning of the Hetzner firewall: the host model's public ports from
// anywhere, SSH from the operators only, nothing else.
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

export function planFirewallRules(ports: readonly PublicPort[], operatorCidrs: readonly string[]): FirewallRulePlan[] {
  if (operatorCidrs.length === 0) throw new Error("planFirewallRules: at least one operator CIDR is needed for SSH");
  return [
    ...ports.map((p) => ({
      direction: "in" as const,
      protocol: p.protocol,
      port: portSpec(p.from, p.to),
      sourceIps: [...ANYWHERE],
      description: `${p.service}: ${p.purpose}`,
    })),
    {
      direction: "in" as const,
      protocol: "tcp" as const,
      port: String(SSH_PORT),
      sourceIps: [...new Set(operatorCidrs)],
      description: "ssh: operators only",
    },
  ];
}
