// A network lab of Linux network namespaces: an "internet" namespace holding a
// bridge, public namespaces on that bridge (the server, probes, the guide), and
// sites — a listener behind its own router (NAT, a site firewall, loss). Every
// address is from the documentation ranges and exists only inside the lab; no
// interface is created in the machine's own namespace, so removing the
// namespaces removes everything. Names carry one prefix, and destroying the
// lab (also at the start of a run, for what a killed run left) removes every
// namespace with it. Needs root (CI and this machine run as root).
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Running, start, systemTool } from "./processes";

/** The documentation ranges the lab's public side uses; every namespace routes them on-link over the bridge. */
export const PUBLIC_RANGES = ["198.51.100.0/24", "203.0.113.0/24"] as const;

export type SitePolicy =
  /** Carrier NAT: masquerade, everything allowed. */
  | "nat"
  /** A network that blocks UDP both ways; TCP allowed. */
  | "no-udp"
  /** Only TCP to port 443 leaves (hotel Wi-Fi). */
  | "tcp443-only";

export interface SiteSpec {
  readonly name: string;
  /** The router's public address (masqueraded source of the site). */
  readonly publicAddress: string;
  /** Third octet-free LAN: the site's /28 in 192.0.2.0/24, by index 0–15. */
  readonly lanIndex: number;
  readonly policy: SitePolicy;
  /**
   * Random packet loss in percent, each direction, dropped by the router
   * (nftables numgen). Not tc netem: this machine's kernel has no sch_netem,
   * so delay and jitter cannot be added here.
   */
  readonly lossPercent?: number;
}

export interface LabSpec {
  /** Prefix of every namespace name; also what a cleanup removes. */
  readonly prefix: string;
  /** name → address, written to every namespace's hosts file. */
  readonly hosts: Readonly<Record<string, string>>;
  /** Namespaces directly on the bridge: name → public IPv4 (the server is one). */
  readonly publicHosts: Readonly<Record<string, string>>;
  readonly sites: readonly SiteSpec[];
}

export interface NetLab {
  readonly spec: LabSpec;
  /** The namespace's full name. */
  ns(name: string): string;
  /** The listener's address inside its site. */
  siteClientAddress(site: string): string;
  /** Runs a command to completion inside a namespace; throws with its stderr on failure. */
  exec(name: string, cmd: string, args: readonly string[], input?: string): string;
  /** Starts a long-running program inside a namespace. */
  spawn(name: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Running;
  destroy(): void;
}

function ip(args: readonly string[], input?: string): string {
  const result = spawnSync(systemTool("ip", "iproute2"), args, { encoding: "utf8", timeout: 20_000, input });
  if (result.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${result.stderr || result.error}`);
  return result.stdout;
}

const netnsDir = (ns: string) => join("/etc/netns", ns);

/** Removes every namespace whose name starts with prefix, the processes still inside it, and its /etc/netns files. */
export function destroyLab(prefix: string): void {
  if (!/^[a-z][a-z0-9-]{2,8}$/.test(prefix))
    throw new Error(`destroyLab: prefix "${prefix}" is not a short lab prefix`);
  const names = ip(["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(prefix));
  for (const ns of names) {
    for (const pid of ip(["netns", "pids", ns]).split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // already gone
      }
    }
    ip(["netns", "del", ns]);
    rmSync(netnsDir(ns), { recursive: true, force: true });
  }
}

function hostsFile(hosts: Readonly<Record<string, string>>): string {
  const lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost"];
  for (const [name, address] of Object.entries(hosts)) lines.push(`${address} ${name}`);
  return `${lines.join("\n")}\n`;
}

function siteLan(index: number): { router: string; client: string } {
  if (!Number.isInteger(index) || index < 0 || index > 15) throw new Error(`lanIndex ${index} must be 0–15`);
  return { router: `192.0.2.${index * 16 + 1}`, client: `192.0.2.${index * 16 + 2}` };
}

/** The router's own rules: NAT for all, plus the site's outbound policy and loss on forwarded traffic. */
export function routerRuleset(policy: SitePolicy, lossPercent = 0): string {
  if (!(lossPercent >= 0 && lossPercent < 100)) throw new Error(`lossPercent ${lossPercent} must be in [0, 100)`);
  const loss = lossPercent > 0 ? [`numgen random mod 10000 < ${Math.round(lossPercent * 100)} drop`] : [];
  const forward = {
    nat: [],
    // Both directions: replies to the server's connectivity checks must not pass as "established".
    "no-udp": ["meta l4proto udp drop"],
    "tcp443-only": [
      'iifname "wan0" ct state established,related accept',
      'iifname "lan0" tcp dport 443 accept',
      "drop",
    ],
  }[policy];
  return [
    "table ip site {",
    "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;",
    '    oifname "wan0" masquerade',
    "  }",
    "  chain forward { type filter hook forward priority filter; policy accept;",
    ...[...loss, ...forward].map((r) => `    ${r}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

export function createLab(spec: LabSpec): NetLab {
  destroyLab(spec.prefix);
  const ns = (name: string) => `${spec.prefix}${name}`;
  const names = ["internet", ...Object.keys(spec.publicHosts), ...spec.sites.flatMap((s) => [`r-${s.name}`, s.name])];
  try {
    for (const name of names) {
      ip(["netns", "add", ns(name)]);
      mkdirSync(netnsDir(ns(name)), { recursive: true });
      writeFileSync(join(netnsDir(ns(name)), "hosts"), hostsFile(spec.hosts));
      // No name ever leaves the lab: the hosts file answers, nothing else does.
      writeFileSync(join(netnsDir(ns(name)), "resolv.conf"), "nameserver 127.0.0.1\n");
      ip(["-n", ns(name), "link", "set", "lo", "up"]);
    }
    const inet = ns("internet");
    ip(["-n", inet, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", inet, "link", "set", "br0", "up"]);
    let port = 0;
    const attach = (name: string, address: string) => {
      const bridgePort = `p${port++}`;
      ip(["-n", inet, "link", "add", bridgePort, "type", "veth", "peer", "name", "wan0", "netns", ns(name)]);
      ip(["-n", inet, "link", "set", bridgePort, "master", "br0", "up"]);
      ip(["-n", ns(name), "link", "set", "wan0", "up"]);
      ip(["-n", ns(name), "addr", "add", `${address}/32`, "dev", "wan0"]);
      for (const range of PUBLIC_RANGES) ip(["-n", ns(name), "route", "add", range, "dev", "wan0"]);
    };
    for (const [name, address] of Object.entries(spec.publicHosts)) attach(name, address);
    for (const site of spec.sites) buildSite(site, ns, attach);
  } catch (error) {
    destroyLab(spec.prefix);
    throw error;
  }
  // A worker that exits without its afterAll (a timeout, the runner's SIGTERM)
  // still removes the lab; destroying twice is harmless.
  process.once("exit", () => destroyLab(spec.prefix));
  return labHandle(spec, ns);
}

function buildSite(site: SiteSpec, ns: (n: string) => string, attach: (name: string, address: string) => void) {
  const router = ns(`r-${site.name}`);
  const client = ns(site.name);
  const lan = siteLan(site.lanIndex);
  attach(`r-${site.name}`, site.publicAddress);
  ip(["-n", router, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", client]);
  ip(["-n", router, "addr", "add", `${lan.router}/28`, "dev", "lan0"]);
  ip(["-n", router, "link", "set", "lan0", "up"]);
  ip(["-n", client, "addr", "add", `${lan.client}/28`, "dev", "eth0"]);
  ip(["-n", client, "link", "set", "eth0", "up"]);
  ip(["-n", client, "route", "add", "default", "via", lan.router]);
  ip(["netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
  ip(["netns", "exec", router, systemTool("nft", "nftables"), "-f", "-"], routerRuleset(site.policy, site.lossPercent));
}

function labHandle(spec: LabSpec, ns: (n: string) => string): NetLab {
  return {
    spec,
    ns,
    siteClientAddress(site) {
      const found = spec.sites.find((s) => s.name === site);
      if (!found) throw new Error(`no site ${site} in the lab`);
      return siteLan(found.lanIndex).client;
    },
    exec: (name, cmd, args, input) => ip(["netns", "exec", ns(name), cmd, ...args], input),
    spawn: (name, cmd, args, env) =>
      start(systemTool("ip", "iproute2"), ["netns", "exec", ns(name), cmd, ...args], { env }),
    destroy: () => destroyLab(spec.prefix),
  };
}
