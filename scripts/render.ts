// npm run render -- --stack <name> --out <dir> [--ipv4 A] [--ipv6 B]
// Writes every file the stack would put on its LiveKit host, from
// Pulumi.<name>.yaml alone: no cloud credentials, no Pulumi CLI. Secrets are
// replaced by marked placeholders; the addresses, unknown before `pulumi up`,
// by documentation addresses unless given.
import { writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { readStackSettings } from "../config/stackFile";
import { hostSettings } from "../plans/host";
import { renderHost } from "../templates";
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
  --ipv4 <address>   the server's public IPv4 (default 192.0.2.10, a documentation address)
  --ipv6 <address>   the server's public IPv6 (default 2001:db8::10)
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
  const rendered = renderHost({
    ...hostSettings(settings),
    publicIpv4: ipv4,
    publicIpv6: ipv6,
    secrets: PLACEHOLDER_SECRETS,
  });

  out.create();
  for (const file of rendered.files) writeFileSync(join(out.path, file.name), file.content, { mode: 0o644 });
  writeFileSync(join(out.path, "cloud-init.yaml"), rendered.cloudInit, { mode: 0o644 });
  console.log(`Rendered stack "${settings.stack}" into ${out.path}:`);
  for (const name of [...rendered.files.map((f) => f.name), "cloud-init.yaml"]) console.log(`  ${name}`);
  console.log("Secrets are placeholders (PLACEHOLDER-...); `pulumi up` generates the real ones.");
  return 0;
}

if (require.main === module) runCli(SPEC, main);
