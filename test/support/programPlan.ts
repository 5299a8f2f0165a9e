// The whole program under Pulumi's mocks, seen the way the engine sees it:
// every resource's URN, its parent and dependsOn URNs, and a digest of its
// inputs. A fixed SSH key keeps the key resources' names (fingerprints) stable.
import { createHash } from "node:crypto";
import { validRawConfig, validSecretConfig } from "./fixtures";
import { type MockedRun, reveal, stackConfig, withMocks } from "./pulumiMocks";

export const FIXED_SSH_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINOHbSLmplVECdvbaFJZlKgTtBNUxQAqGurvO2VGuLnc plan@roamcast";

export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly dependsOn: readonly string[];
}

export interface ProgramPlan {
  readonly run: MockedRun;
  readonly resources: readonly PlannedResource[];
  readonly exports: Record<string, unknown>;
}

const urnOf = (run: MockedRun, resource: unknown): Promise<string> =>
  new Promise((resolve) => (resource as { urn: { apply(f: (u: string) => void): void } }).urn.apply(resolve));

/** Runs index.ts for `stack` with these settings on top of a valid config; waits for `settled` names. */
export async function planProgram(
  stack: string,
  overrides: Record<string, unknown>,
  settled: readonly string[],
): Promise<ProgramPlan> {
  const config = validRawConfig({ sshPublicKeys: [FIXED_SSH_KEY], operatorCidrs: ["85.214.0.7/32"], ...overrides });
  const run = await withMocks(stack, stackConfig({ ...config, ...validSecretConfig() }));
  const pending: Promise<PlannedResource>[] = [];
  let exports: Record<string, unknown> = {};
  await run.pulumi.runtime.runInPulumiStack(async () => {
    run.pulumi.runtime.registerStackTransformation((args) => {
      const deps = args.opts.dependsOn;
      const list = (Array.isArray(deps) ? deps : deps ? [deps] : []) as unknown[];
      pending.push(
        (async () => {
          // The transformation runs before the constructor sets `urn`: read it a turn later.
          await new Promise((r) => setImmediate(r));
          return {
            urn: await urnOf(run, args.resource),
            type: args.type,
            name: args.name,
            parent: args.opts.parent ? await urnOf(run, args.opts.parent) : undefined,
            dependsOn: await Promise.all(list.map((d) => urnOf(run, d))),
          };
        })(),
      );
      return undefined;
    });
    exports = { ...(await import("../../index")) };
    await run.settle(settled);
    return undefined;
  });
  return { run, resources: await Promise.all(pending), exports };
}

/** sha256 of a recorded resource's inputs, secrets revealed: equal digests mean the same desired state. */
export function inputsDigest(inputs: Record<string, unknown>): string {
  return createHash("sha256")
    .update(JSON.stringify(reveal(inputs)))
    .digest("hex")
    .slice(0, 16);
}
