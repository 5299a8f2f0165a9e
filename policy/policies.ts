// The Roamcast policies. Each reads the resource inputs (or, for a stack
// policy, the resources' outputs and options) the engine hands it; none calls
// a cloud API. index.ts serves them; test/unit/policy.test.ts runs each
// against fixtures and against the real program's resources.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { serverProblems } from "../config/hetzner";
import { publicPorts } from "../templates/model";
import { composeImages, imageProblem, SECRET_NAME, secretShapesIn, stringsOf } from "./content";
import { firewallProblems, type FirewallRuleInput } from "./firewall";
import { stackContext, type StackFileReader, stackOfUrn } from "./stackContext";

export const TYPES = {
  firewall: "hcloud:index/firewall:Firewall",
  server: "hcloud:index/server:Server",
  primaryIp: "hcloud:index/primaryIp:PrimaryIp",
  // DnsRecord is what the stack uses; Record is the provider's older name for the same thing.
  dnsRecords: ["cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/record:Record"],
  remoteCommand: "command:remote:Command",
  stack: "pulumi:pulumi:Stack",
  // RandomString is not secret (the LiveKit key's suffix is one); RandomPassword is.
  randomPassword: "random:index/randomPassword:RandomPassword",
  privateKey: "tls:index/privateKey:PrivateKey",
} as const;

/** Resources index.ts protects on production (components/addresses.ts, components/host.ts). */
export const PROTECTED_ON_PRODUCTION = [TYPES.server, TYPES.primaryIp] as const;

/**
 * Outputs the program itself marks secret (components/hostFiles.ts: pulumi.secret).
 * @pulumi/policy unwraps secrets before a policy sees them (server.js,
 * deserializeProperties(…, false)), so a policy cannot tell a secret output
 * from a plaintext one: any other output that looks secret is refused, and
 * test/unit/policyProgram.test.ts proves these are secret in the real program.
 */
export const SECRET_OUTPUTS: readonly string[] = ["apiKey", "apiSecret"];

export type RoamcastPolicy = ResourceValidationPolicy | StackValidationPolicy;

export function roamcastPolicies(readStackFile: StackFileReader): RoamcastPolicy[] {
  return [...hostPolicies(readStackFile), ...deliveryPolicies(), ...stackPolicies(readStackFile)];
}

/** The Hetzner server and its firewall, on each resource's inputs. */
function hostPolicies(readStackFile: StackFileReader): ResourceValidationPolicy[] {
  return [
    {
      name: "firewall-planned-ports-only",
      description: "The Hetzner firewall opens exactly the planned ports, and SSH only from the operators' ranges.",
      enforcementLevel: "mandatory",
      configSchema: { properties: { operatorCidrs: { type: "array", items: { type: "string" } } } },
      validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.firewall) return;
        const context = stackContext(
          stackOfUrn(args.urn),
          readStackFile,
          args.getConfig<{ operatorCidrs?: string[] }>(),
        );
        const rules = (args.props.rules ?? []) as FirewallRuleInput[];
        for (const problem of firewallProblems(rules, publicPorts(), context)) reportViolation(problem);
      },
    },
    {
      name: "no-secret-in-user-data",
      description: "Server user data holds no secret: Hetzner keeps it readable for the server's life.",
      enforcementLevel: "mandatory",
      validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.server || typeof args.props.userData !== "string") return;
        for (const what of secretShapesIn(args.props.userData))
          reportViolation(`user data holds ${what}; secrets reach the host over SSH, never in user data`);
      },
    },
    {
      name: "server-type-allowed",
      description: "The server type is orderable in its location and x86 (config/hetzner.ts).",
      enforcementLevel: "mandatory",
      validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.server) return;
        for (const problem of serverProblems(String(args.props.serverType ?? ""), String(args.props.location ?? "")))
          reportViolation(problem);
      },
    },
  ];
}

/** What reaches the Internet and the host: DNS records, the deployed images. */
function deliveryPolicies(): ResourceValidationPolicy[] {
  return [
    {
      name: "dns-never-proxied",
      description: "Cloudflare DNS records are DNS only: LiveKit's WebRTC and TURN cannot pass Cloudflare's proxy.",
      enforcementLevel: "mandatory",
      validateResource: (args, reportViolation) => {
        if (!(TYPES.dnsRecords as readonly string[]).includes(args.type)) return;
        if (args.props.proxied === true)
          reportViolation(`DNS record ${args.props.name} is proxied; set proxied: false (DNS only)`);
      },
    },
    {
      name: "images-pinned",
      description: "Every container image the deploy pushes has an exact tag or a digest.",
      enforcementLevel: "mandatory",
      validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.remoteCommand || typeof args.props.stdin !== "string") return;
        for (const image of composeImages(args.props.stdin)) {
          const problem = imageProblem(image);
          if (problem) reportViolation(problem);
        }
      },
    },
  ];
}

/** The whole stack, on every resource's outputs and options after the run. */
function stackPolicies(readStackFile: StackFileReader): StackValidationPolicy[] {
  return [
    {
      name: "no-plaintext-secret-outputs",
      description: "Stack outputs that look secret are the ones the program marks secret.",
      enforcementLevel: "mandatory",
      validateStack: (args, reportViolation) => {
        const known = knownSecretValues(args.resources);
        for (const stack of args.resources.filter((r) => r.type === TYPES.stack))
          for (const [name, value] of Object.entries(stack.props)) {
            if (SECRET_OUTPUTS.includes(name)) continue;
            const why = secretOutputReason(name, value, known);
            if (why)
              reportViolation(`output "${name}" ${why}; export it with pulumi.secret() and list it in SECRET_OUTPUTS`);
          }
      },
    },
    {
      name: "production-resources-protected",
      description: "On production, the server and its primary IPs are protected from deletion.",
      enforcementLevel: "mandatory",
      validateStack: (args, reportViolation) => {
        const first = args.resources[0];
        if (!first || !stackContext(stackOfUrn(first.urn), readStackFile).production) return;
        for (const r of args.resources.filter((r) => (PROTECTED_ON_PRODUCTION as readonly string[]).includes(r.type))) {
          if (!r.opts.protect) reportViolation(`${r.name} (${r.type}) is not protected on production`, r.urn);
          if (r.props.deleteProtection !== true)
            reportViolation(`${r.name} (${r.type}) has no Hetzner delete protection on production`, r.urn);
        }
      },
    },
  ];
}

/** Secret values other resources produced: generated passwords and private keys. */
function knownSecretValues(resources: readonly PolicyResource[]): Set<string> {
  const values = new Set<string>();
  for (const r of resources) {
    if (r.type === TYPES.randomPassword && typeof r.props.result === "string") values.add(r.props.result);
    if (r.type === TYPES.privateKey)
      for (const key of ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"])
        if (typeof r.props[key] === "string") values.add(r.props[key]);
  }
  // Too short to mean anything when found inside another value.
  for (const value of values) if (value.length < 8) values.delete(value);
  return values;
}

function secretOutputReason(name: string, value: unknown, known: Set<string>): string | undefined {
  if (SECRET_NAME.test(name)) return "is named like a secret";
  for (const [, text] of stringsOf(value)) {
    if ([...known].some((secret) => text.includes(secret))) return "holds a generated password or private key";
    if (secretShapesIn(text).length > 0) return `holds ${secretShapesIn(text)[0]}`;
  }
  return undefined;
}
