// npm run render -- --stack <name> --out <dir> [--ipv4 A] [--ipv6 B]
// Writes every file the stack would put on its LiveKit host, from
// Pulumi.<name>.yaml alone: no cloud credentials, no Pulumi CLI. Secrets are
// replaced by marked placeholders; the addresses, unknown before `pulumi up`,
// by documentation addresses unless given.
import { mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readStackSettings } from "../config/stackFile";
import { ConfigError } from "../config/schema";
import { hostSettings } from "../plans/host";
import { renderHost } from "../templates";

export const PLACEHOLDER_SECRETS = {
  apiKey: "PLACEHOLDER_API_KEY",
  apiSecret: "PLACEHOLDER-livekit-api-secret-generated-by-pulumi-up",
  redisPassword: "PLACEHOLDER-redis-password-generated-by-pulumi-up",
} as const;

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      out: { type: "string" },
      ipv4: { type: "string", default: "192.0.2.10" },
      ipv6: { type: "string", default: "2001:db8::10" },
    },
    strict: true,
  });
  if (!values.stack || !values.out) {
    console.error("usage: npm run render -- --stack <name> --out <dir> [--ipv4 <address>] [--ipv6 <address>]");
    return 2;
  }
  if (isIP(values.ipv4) !== 4) {
    console.error(`--ipv4 "${values.ipv4}" is not an IPv4 address`);
    return 2;
  }
  if (isIP(values.ipv6) !== 6) {
    console.error(`--ipv6 "${values.ipv6}" is not an IPv6 address`);
    return 2;
  }

  const projectDir = resolve(__dirname, "..");
  const settings = readStackSettings(projectDir, values.stack);
  const rendered = renderHost({
    ...hostSettings(settings),
    publicIpv4: values.ipv4,
    publicIpv6: values.ipv6,
    secrets: PLACEHOLDER_SECRETS,
  });

  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  for (const file of rendered.files) writeFileSync(join(out, file.name), file.content, { mode: 0o644 });
  writeFileSync(join(out, "cloud-init.yaml"), rendered.cloudInit, { mode: 0o644 });
  console.log(`Rendered stack "${settings.stack}" into ${out}:`);
  for (const name of [...rendered.files.map((f) => f.name), "cloud-init.yaml"]) console.log(`  ${name}`);
  console.log("Secrets are placeholders (PLACEHOLDER-...); `pulumi up` generates the real ones.");
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
