// Component type tokens follow one scheme, roamcast:<file in components/>:<Class>,
// and each carries an alias to the token it had before, so that an existing
// stack's resources are moved, not replaced, when the tokens changed.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { validRawConfig, validSecretConfig } from "../support/fixtures";
import { promiseOf, stackConfig, withMocks } from "../support/pulumiMocks";

const componentsDir = join(__dirname, "..", "..", "components");

/** The tokens the components were created with on stacks before the layout move (null: new since, no alias). */
const FORMER_TOKENS: Record<string, string | null> = {
  "roamcast:addresses:PublicAddresses": "roamcast:hetzner:PublicAddresses",
  "roamcast:deployment:LivekitDeployment": "roamcast:livekit:Deployment",
  "roamcast:dns:DnsRecords": "roamcast:cloudflare:DnsRecords",
  "roamcast:host:LivekitHost": "roamcast:hetzner:Host",
  "roamcast:hostFiles:LivekitHostFiles": "roamcast:livekit:Config",
  "roamcast:migrations:SupabaseMigrations": null,
  "roamcast:functionSecrets:FunctionSecrets": null,
  "roamcast:functionDeploys:FunctionDeploys": null,
  "roamcast:supabase:SupabaseBackend": "roamcast:supabase:Backend",
  "roamcast:network:PrivateNetwork": null,
};
/** Components only a stack with several LiveKit nodes has (the program below runs one). */
const MULTI_NODE_ONLY = ["roamcast:network:PrivateNetwork"];

describe("component type tokens", () => {
  it("are roamcast:<file>:<Class> for every ComponentResource in components/", () => {
    const tokens = readdirSync(componentsDir).map((file) => {
      const source = readFileSync(join(componentsDir, file), "utf8");
      const className = /export class (\w+) extends pulumi\.ComponentResource/.exec(source)?.[1];
      const token = /super\(\s*"(roamcast:[^"]+)"/.exec(source)?.[1];
      expect(token, file).toBe(`roamcast:${basename(file, ".ts")}:${className}`);
      return token!;
    });
    expect(tokens.sort()).toEqual(Object.keys(FORMER_TOKENS).sort());
  });

  it("alias every component of the program to its former token", async () => {
    const run = await withMocks("dev", stackConfig({ ...validRawConfig(), ...validSecretConfig() }));
    // The SDK registers every resource through this function; record the components.
    const registry = await import("@pulumi/pulumi/runtime/resource");
    const components: { type: string; name: string; resource: any }[] = [];
    const register = registry.registerResource;
    (registry as any).registerResource = (
      resource: any,
      parent: any,
      type: string,
      name: string,
      custom: boolean,
      ...rest: any[]
    ) => {
      if (!custom) components.push({ type, name, resource });
      return (register as any)(resource, parent, type, name, custom, ...rest);
    };
    try {
      await import("../../index");
      await run.settle(["livekit-server", "supabase-function-secrets-values"]);
    } finally {
      (registry as any).registerResource = register;
    }
    expect(new Set(components.map((c) => c.type))).toEqual(
      new Set(Object.keys(FORMER_TOKENS).filter((t) => !MULTI_NODE_ONLY.includes(t))),
    );
    for (const { type, name, resource } of components) {
      if (FORMER_TOKENS[type] === null) continue;
      const aliases = await Promise.all((resource.__aliases ?? []).map((a: any) => promiseOf(a)));
      expect(aliases, `${type} ${name}`).toContain(`urn:pulumi:dev::roamcast::${FORMER_TOKENS[type]}::${name}`);
    }
  });
});
