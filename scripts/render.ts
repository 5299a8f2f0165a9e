// npm run render -- --stack <name> --out <dir> [--ipv4 A] [--ipv6 B]
// Writes every file the stack would put on its LiveKit hosts, from
// Pulumi.<name>.yaml alone: no cloud credentials, no Pulumi CLI. Secrets are
// replaced by marked placeholders; the addresses, unknown before `pulumi up`,
// by documentation addresses unless given. With livekitNodes > 1, node 1's
// files are written as for one server, and node k's into node-k/ (its
// addresses the given ones plus k - 1).
import { mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { readStackSettings } from "../config/stackFile";
import { nodeHostSettings } from "../plans/host";
import { planNodes } from "../plans/nodes";
import { type RenderedHost, renderHost } from "../templates";
import { type Cli, InputError, runCli } from "./cli";
import { checkOutFolder } from "./outFolder";

export const PLACEHOLDER_SECRETS = {
  apiKey: "PLACEHOLDER_API_KEY",
  apiSecret: "PLACEHOLDER-livekit-api-secret-generated-by-pulumi-up",
  redisPassword: "PLACEHOLDER-redis-password-generated-by-pulumi-up",
  // A URL, so the file is well-formed either way; as an SMTP password it is just text.
  alertReceiverSecret: "https://placeholder.invalid/PLACEHOLDER-alert-receiver-secret-from-pulumi-config",
} as const;

const USAGE = "usage: npm run render -- --stack <name> --out <dir> [--ipv4 <address>] [--ipv6 <address>]";

const SPEC = {
  usage: USAGE,
  help: `
Writes every file the stack would put on its LiveKit host, from Pulumi.<name>.yaml
alone: no cloud credentials, no Pulumi CLI. Secrets are marked placeholders.

  --stack <name>     the stack whose Pulumi.<name>.yaml to render, e.g. dev or prod
  --out <dir>        the folder to write into; created if missing
  --ipv4 <address>   the server's public IPv4 (default 192.0.2.10, a documentation address);
                     with several nodes, node k gets this address plus k - 1
  --ipv6 <address>   the server's public IPv6 (default 2001:db8::10), likewise
  -h, --help         this text
`,
  options: {
    stack: { type: "string" },
    out: { type: "string" },
    ipv4: { type: "string", default: "192.0.2.10" },
    ipv6: { type: "string", default: "2001:db8::10" },
  },
} as const;

function main(cli: Cli<typeof SPEC.options>): number {
  const stack = cli.required("stack");
  // Refused before any work: an --out that cannot take the files (or under /proc, where Node's mkdir spins).
  const out = checkOutFolder("--out", cli.required("out"));
  const { ipv4, ipv6 } = cli.values;
  if (isIP(ipv4) !== 4) throw new InputError(`--ipv4 "${ipv4}" is not an IPv4 address`);
  if (isIP(ipv6) !== 6) throw new InputError(`--ipv6 "${ipv6}" is not an IPv6 address`);

  const projectDir = resolve(__dirname, "..");
  const settings = readStackSettings(projectDir, stack);
  const hosts = renderStackHosts(settings, ipv4, ipv6);

  out.create();
  console.log(`Rendered stack "${settings.stack}" into ${out.path}:`);
  for (const { folder, rendered } of hosts) {
    const dir = join(out.path, folder);
    if (folder) mkdirSync(dir, { recursive: true });
    for (const file of rendered.files) writeFileSync(join(dir, file.name), file.content, { mode: 0o644 });
    writeFileSync(join(dir, "cloud-init.yaml"), rendered.cloudInit, { mode: 0o644 });
    for (const name of [...rendered.files.map((f) => f.name), "cloud-init.yaml"])
      console.log(`  ${folder ? `${folder}/` : ""}${name}`);
  }
  console.log("Secrets are placeholders (PLACEHOLDER-...); `pulumi up` generates the real ones.");
  return 0;
}

/** Every node's files: node 1 in the top folder, node k in node-k/. */
export function renderStackHosts(
  settings: Parameters<typeof nodeHostSettings>[0] & { readonly livekitNodes: number },
  ipv4: string,
  ipv6: string,
): { folder: string; rendered: RenderedHost }[] {
  return planNodes(settings.livekitHost, settings.turnHost, settings.livekitNodes).map((node) => ({
    folder: node.index === 1 ? "" : `node-${node.index}`,
    rendered: renderHost({
      ...nodeHostSettings(settings, node),
      publicIpv4: nthAddress(ipv4, node.index - 1),
      publicIpv6: nthAddress(ipv6, node.index - 1),
      secrets: PLACEHOLDER_SECRETS,
    }),
  }));
}

/** The address `offset` above the given one, in its last byte (IPv4) or last group (IPv6). */
function nthAddress(address: string, offset: number): string {
  if (offset === 0) return address;
  const separator = isIP(address) === 4 ? "." : ":";
  const radix = separator === "." ? 10 : 16;
  const parts = address.split(separator);
  const last = parseInt(parts[parts.length - 1] || "0", radix) + offset;
  if (last > (radix === 10 ? 254 : 0xffff))
    throw new InputError(
      `--ipv${radix === 10 ? 4 : 6} ${address} leaves no room for ${offset + 1} nodes; give a lower address`,
    );
  parts[parts.length - 1] = last.toString(radix);
  return parts.join(separator);
}

if (require.main === module) runCli(SPEC, main);
