// The pack passes the real program: index.ts runs under Pulumi's mocks for a
// dev and a prod stack, and every policy sees what the engine would hand it.
import { describe, expect, it } from "vitest";
import { validRawConfig, validSecretConfig } from "../support/fixtures";
import { mockOutputs, reveal, stackConfig, withMocks } from "../support/pulumiMocks";
import { programResourceViolations, stackFiles, stackViolations } from "../support/policyArgs";
import { SECRET_OUTPUTS } from "../../policy/policies";

const OPERATORS = ["85.214.0.7/32", "2a01:4f8:c0c::/48"];
const SETTLED = ["livekit-server", "livekit-firewall", "livekit-deploy-apply", "livekit-dns-live.roamcast.app-A"];

async function runProgram(stack: string, overrides: Record<string, unknown>) {
  const config = validRawConfig({ operatorCidrs: OPERATORS, ...overrides });
  const run = await withMocks(stack, stackConfig({ ...config, ...validSecretConfig() }));
  // Every resource's protect option, as the engine records it.
  const protect = new Map<string, boolean>();
  let program: Record<string, unknown> = {};
  // In a root stack, as `pulumi up` runs the program: stack transformations need one.
  await run.pulumi.runtime.runInPulumiStack(async () => {
    run.pulumi.runtime.registerStackTransformation((args) => {
      protect.set(args.name, args.opts.protect === true);
      return undefined;
    });
    program = { ...(await import("../../index")) };
    await run.settle(SETTLED);
    return undefined;
  });
  const files = stackFiles({ [stack]: config });
  return { run, program, protect, files };
}

for (const [stack, overrides] of [
  ["dev", {}],
  ["prod", { production: true, location: "fsn1" }],
  // Three LiveKit nodes: the same policies hold for every node's resources.
  ["prod", { production: true, location: "fsn1", livekitNodes: 3 }],
] as const) {
  describe(`the ${stack} program${"livekitNodes" in overrides ? " with three LiveKit nodes" : ""}`, async () => {
    const { run, program, protect, files } = await runProgram(stack, overrides);

    it("breaks no resource policy", async () => {
      const { policies, violations, checkedTypes } = await programResourceViolations(files, stack, run.resources);
      expect(policies).toBe(5);
      expect(violations).toEqual([]);
      expect(checkedTypes).toEqual(
        expect.arrayContaining([
          "hcloud:index/firewall:Firewall",
          "hcloud:index/server:Server",
          "cloudflare:index/dnsRecord:DnsRecord",
          "command:remote:Command",
        ]),
      );
    });

    it("breaks no stack policy, and the outputs the pack lets through are secret", async () => {
      const exports = program as Record<string, any>;
      const outputs: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(exports))
        outputs[name] = run.pulumi.Output.isInstance(value) ? await new Promise((r) => value.apply(r)) : value;
      const resources = [
        ...run.resources.map((r) => ({
          stack,
          type: r.type,
          name: r.name,
          props: reveal(mockOutputs(r.type, r.name, r.inputs)),
          protect: protect.get(r.name),
        })),
        { stack, type: "pulumi:pulumi:Stack", name: `roamcast-${stack}`, props: outputs },
      ];
      for (const policy of ["no-plaintext-secret-outputs", "production-resources-protected"])
        expect(await stackViolations(files, policy, resources), policy).toEqual([]);
      for (const name of SECRET_OUTPUTS) expect(await run.pulumi.isSecret(exports[name]), name).toBe(true);
      if (stack === "prod")
        expect([...protect].filter(([, on]) => on).map(([name]) => name)).toEqual(
          expect.arrayContaining(["livekit-server", "livekit-ip-ipv4", "livekit-ip-ipv6"]),
        );
      if ("livekitNodes" in overrides)
        expect([...protect].filter(([, on]) => on).map(([name]) => name)).toEqual(
          expect.arrayContaining(["livekit-node3-server", "livekit-ip-node3-ipv4", "livekit-private-network"]),
        );
    });
  });
}
