// Runs the pack's policies the way @pulumi/policy's server calls them
// (server.js: makeAnalyzeRpcFun, makeAnalyzeStackRpcFun), collecting what
// each reports.
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { stringify } from "yaml";
import { roamcastPolicies } from "../../policy/policies";
import type { StackFileReader } from "../../policy/stackContext";
import { reveal } from "./pulumiMocks";

export const urnOf = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::roamcast::${type}::${name}`;

const OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** A stack file with these roamcast settings, as `pulumi config set` writes it. */
export function stackFiles(files: Record<string, Record<string, unknown>>): StackFileReader {
  return (stack) => {
    const settings = files[stack];
    if (!settings) return undefined;
    return stringify({ config: Object.fromEntries(Object.entries(settings).map(([k, v]) => [`roamcast:${k}`, v])) });
  };
}

function policyNamed(reader: StackFileReader, name: string) {
  const policy = roamcastPolicies(reader).find((p) => p.name === name);
  if (!policy) throw new Error(`no policy named ${name}`);
  return policy;
}

export interface ResourceFixture {
  readonly stack?: string;
  readonly type: string;
  readonly name?: string;
  readonly props: Record<string, any>;
}

/** What the named resource policy reports on one resource's inputs. */
export async function resourceViolations(
  reader: StackFileReader,
  policyName: string,
  r: ResourceFixture,
  packConfig: Record<string, unknown> = {},
): Promise<string[]> {
  const policy = policyNamed(reader, policyName) as ResourceValidationPolicy;
  const messages: string[] = [];
  const name = r.name ?? "fixture";
  const validations = [policy.validateResource!].flat();
  for (const validate of validations)
    await validate(
      {
        type: r.type,
        props: r.props,
        urn: urnOf(r.stack ?? "dev", r.type, name),
        name,
        opts: OPTIONS,
        stackTags: new Map() as any,
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => packConfig as T,
        notApplicable: () => {
          throw new Error("not applicable");
        },
      },
      (message) => messages.push(message),
    );
  return messages;
}

export interface StackResourceFixture extends ResourceFixture {
  readonly protect?: boolean;
}

/** What the named stack policy reports on a stack's resources (their outputs and options). */
export async function stackViolations(
  reader: StackFileReader,
  policyName: string,
  resources: readonly StackResourceFixture[],
): Promise<string[]> {
  const policy = policyNamed(reader, policyName) as StackValidationPolicy;
  const messages: string[] = [];
  const policyResources: PolicyResource[] = resources.map((r, i) => ({
    type: r.type,
    props: r.props,
    urn: urnOf(r.stack ?? "dev", r.type, r.name ?? `r${i}`),
    name: r.name ?? `r${i}`,
    opts: { ...OPTIONS, protect: r.protect ?? false },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  await policy.validateStack(
    {
      resources: policyResources,
      stackTags: new Map() as any,
      getConfig: <T extends object>() => ({}) as T,
      notApplicable: () => {
        throw new Error("not applicable");
      },
    },
    (message, urn) => messages.push(urn ? `${message} [${urn.split("::").pop()}]` : message),
  );
  return messages;
}

/**
 * Every resource policy of the pack on every resource a mocked program
 * registered: each violation as "<policy> on <resource>: <message>", and the
 * resource types the policies saw.
 */
export async function programResourceViolations(
  reader: StackFileReader,
  stack: string,
  resources: readonly { type: string; name: string; inputs: unknown }[],
): Promise<{ policies: number; violations: string[]; checkedTypes: string[] }> {
  const policies = roamcastPolicies(reader).filter((p) => "validateResource" in p);
  const violations: string[] = [];
  const checked = new Set<string>();
  for (const r of resources)
    for (const policy of policies) {
      const found = await resourceViolations(reader, policy.name, { stack, ...r, props: reveal(r.inputs) });
      violations.push(...found.map((message) => `${policy.name} on ${r.name}: ${message}`));
      checked.add(r.type);
    }
  return { policies: policies.length, violations, checkedTypes: [...checked] };
}
