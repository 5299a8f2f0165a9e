// Placeholder values that must never reach a real `up`. The committed
// Pulumi.dev.yaml and Pulumi.prod.yaml carry them so that the offline render
// works on a fresh clone; parseStackConfig refuses them only when the secrets
// are there (under `pulumi up`/`preview`), with a message saying what to put.
//
// What counts as a placeholder:
//   - the example SSH key committed in both stack files (comment "replace-with-your-key");
//   - addresses inside the documentation blocks 192.0.2.0/24, 198.51.100.0/24,
//     203.0.113.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849);
//   - names under the reserved example domains example.com/.net/.org and the
//     TLDs .example, .test, .invalid, .localhost (RFC 2606), for the zone, both
//     host names, the ACME e-mail and an image's registry;
//   - the Supabase project references committed in the stack files.
import { type Cidr, contains, parseCidr } from "./cidr";
import { fullKey, type StackSettings } from "./fields";
import { parseImageRef, registryHost } from "./images";

const EXAMPLE_SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQC1pawDIMk0eVptdt0vJW/XVSGHpUvLExqZY2N5QKS";
const PLACEHOLDER_PROJECT_REFS: readonly string[] = ["roamcastdevprojectrf", "roamcastprodprojectr"];

const DOCUMENTATION_BLOCKS: readonly (readonly [Cidr, string])[] = (
  [
    ["192.0.2.0/24", "RFC 5737"],
    ["198.51.100.0/24", "RFC 5737"],
    ["203.0.113.0/24", "RFC 5737"],
    ["2001:db8::/32", "RFC 3849"],
  ] as const
).map(([text, rfc]) => [parseCidr(text)!, rfc] as const);

const EXAMPLE_DOMAINS = ["example.com", "example.net", "example.org"];
const RESERVED_TLDS = ["example", "test", "invalid", "localhost"];

function isExampleDomain(name: string): boolean {
  const labels = name.toLowerCase().replace(/\.$/, "").split(".");
  return RESERVED_TLDS.includes(labels[labels.length - 1]!) || EXAMPLE_DOMAINS.includes(labels.slice(-2).join("."));
}

export function placeholderProblems(s: StackSettings): string[] {
  return [...domainProblems(s), ...sshKeyProblems(s), ...cidrProblems(s), ...imageProblems(s), ...refProblems(s)];
}

function domainProblems(s: StackSettings): string[] {
  const reserved = "a reserved example domain (RFC 2606)";
  const problems: string[] = [];
  if (isExampleDomain(s.zoneName))
    problems.push(
      `${fullKey("zoneName")} "${s.zoneName}" is ${reserved}; put the Cloudflare zone you own there: pulumi config set ${fullKey("zoneName")} <your domain>`,
    );
  for (const [k, label] of [
    ["livekitHost", "live"],
    ["turnHost", "turn"],
  ] as const) {
    if (isExampleDomain(s[k]))
      problems.push(
        `${fullKey(k)} "${s[k]}" is ${reserved}; put a name in your own zone there: pulumi config set ${fullKey(k)} ${label}.<your domain>`,
      );
  }
  const mailDomain = s.acmeEmail.split("@")[1];
  if (mailDomain && isExampleDomain(mailDomain))
    problems.push(
      `${fullKey("acmeEmail")} "${s.acmeEmail}" is at ${reserved}; Let's Encrypt needs a mailbox you read: pulumi config set ${fullKey("acmeEmail")} <you@your domain>`,
    );
  return problems;
}

function sshKeyProblems(s: StackSettings): string[] {
  const body = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");
  return s.sshPublicKeys.flatMap((line, i) =>
    body(line) === EXAMPLE_SSH_KEY
      ? [
          `${fullKey("sshPublicKeys")}[${i}] is the example key committed in the stack file, not an operator's; put your own public key there: pulumi config set --path '${fullKey("sshPublicKeys")}[${i}]' "$(cat ~/.ssh/id_ed25519.pub)"`,
        ]
      : [],
  );
}

function cidrProblems(s: StackSettings): string[] {
  return s.operatorCidrs.flatMap((text, i) => {
    const c = parseCidr(text);
    const block = c && DOCUMENTATION_BLOCKS.find(([doc]) => contains(doc, c));
    if (!block) return [];
    return [
      `${fullKey("operatorCidrs")}[${i}] "${text}" is a documentation range (${block[1]}), not an operator's address; put your office's or VPN's egress address there: pulumi config set --path '${fullKey("operatorCidrs")}[${i}]' <address>/32`,
    ];
  });
}

function imageProblems(s: StackSettings): string[] {
  return (["livekitImage", "caddyImage", "redisImage"] as const).flatMap((k) => {
    const ref = parseImageRef(s[k]);
    const host = ref && registryHost(ref);
    if (!host || !isExampleDomain(host)) return [];
    return [
      `${fullKey(k)} "${s[k]}" names a registry at a reserved example domain (RFC 2606); name the registry you pull from`,
    ];
  });
}

function refProblems(s: StackSettings): string[] {
  if (!PLACEHOLDER_PROJECT_REFS.includes(s.supabaseProjectRef)) return [];
  return [
    `${fullKey("supabaseProjectRef")} "${s.supabaseProjectRef}" is the placeholder committed in the stack file; put your project's reference there (the 20 letters of https://<ref>.supabase.co): pulumi config set ${fullKey("supabaseProjectRef")} <ref>`,
  ];
}
