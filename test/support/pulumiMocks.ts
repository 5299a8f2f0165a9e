// Runs the Pulumi program (or a component) under Pulumi's own mocks: every
// resource's inputs are recorded, lookups other than the Cloudflare zone fail.
import { vi } from "vitest";
import { CONFIG_FIELDS, type FieldSpec } from "../../config/schema";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
}

export const MOCK_IPV4 = "198.51.100.20";
export const MOCK_IPV6 = "2001:db8:1::1";
export const MOCK_ZONE_ID = "0123456789abcdef0123456789abcdef";

/** Pulumi's marker for a secret value in serialized inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** True when a recorded input reached the provider marked secret. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** A recorded input with secret markers removed, at any depth. */
export function reveal(value: any): any {
  if (isSecretInput(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  return value;
}

/** Resolves an Output's value; a three-line helper in the Pulumi testing guide. */
export function promiseOf<T>(output: { apply<U>(f: (t: T) => U): unknown }): Promise<T> {
  return new Promise((resolve) =>
    output.apply((v) => {
      resolve(v);
      return v;
    }),
  );
}

/** The outputs the mocks give a resource: its inputs, plus what its provider would compute. */
export function mockOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  switch (type) {
    case "hcloud:index/primaryIp:PrimaryIp":
      return { ...inputs, ipAddress: inputs.type === "ipv4" ? MOCK_IPV4 : MOCK_IPV6 };
    case "tls:index/privateKey:PrivateKey":
      return {
        ...inputs,
        publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeployKeyForTests deploy\n",
        privateKeyOpenssh: "-----MOCK DEPLOY KEY-----",
      };
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString":
      // Letters and digits only, as the inputs ask (special: false), unique per resource.
      return {
        ...inputs,
        result: (name.replace(/[^A-Za-z0-9]/g, "") + "0123456789".repeat(10)).slice(0, inputs.length),
      };
    default:
      return inputs;
  }
}

export interface MockedRun {
  readonly resources: RecordedResource[];
  readonly pulumi: typeof import("@pulumi/pulumi");
  byType(type: string): RecordedResource[];
  one(type: string, name?: string): RecordedResource;
  /** Waits (bounded) until the named resources have all been registered. */
  settle(names: readonly string[]): Promise<void>;
}

/** Fresh module graph, mocks and config; then `load` imports the code under test. */
export async function withMocks(stack: string, config: Record<string, string>): Promise<MockedRun> {
  vi.resetModules();
  const pulumi = await import("@pulumi/pulumi");
  const resources: RecordedResource[] = [];
  pulumi.runtime.setAllConfig(
    config,
    Object.keys(config).filter((k) => SECRET_KEYS.has(k.replace(/^roamcast:/, ""))),
  );
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return {
          id: args.type.startsWith("hcloud:") ? String(1000 + resources.length) : `${args.name}-id`,
          state: mockOutputs(args.type, args.name, args.inputs),
        };
      },
      call(args) {
        if (args.token === "cloudflare:index/getZone:getZone")
          return { id: MOCK_ZONE_ID, zoneId: MOCK_ZONE_ID, name: args.inputs.filter?.name };
        throw new Error(`unexpected lookup in tests: ${args.token}`);
      },
    },
    "roamcast",
    stack,
    false,
  );
  const run: MockedRun = {
    resources,
    pulumi,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
      if (found.length !== 1)
        throw new Error(
          `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${resources.map((r) => r.name).join(", ")}`,
        );
      return found[0]!;
    },
    async settle(names) {
      const deadline = Date.now() + 10_000;
      while (!names.every((n) => resources.some((r) => r.name === n))) {
        if (Date.now() > deadline)
          throw new Error(
            `resources never registered: ${names.filter((n) => !resources.some((r) => r.name === n)).join(", ")}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  return run;
}

const SECRET_KEYS = new Set(
  Object.entries(CONFIG_FIELDS)
    .filter(([, spec]) => (spec as FieldSpec).secret)
    .map(([k]) => k),
);

export function stackConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [`roamcast:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}
