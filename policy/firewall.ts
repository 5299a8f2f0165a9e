// The Hetzner firewall as planned: exactly the host model's public ports, from
// anywhere, and SSH (22/tcp) only from the operators' ranges plus, during a
// deploy, the runner's own single address. Pure: rules in, problems out.
import { canonicalCidr, FAMILY_BITS, parseCidr } from "../config/cidr";
import { ANYWHERE, portSpec, SSH_PORT } from "../plans/firewall";
import type { PublicPort } from "../templates/model";
import type { StackContext } from "./stackContext";

export interface FirewallRuleInput {
  readonly direction?: string;
  readonly protocol?: string;
  readonly port?: string;
  readonly sourceIps?: readonly string[];
}

const ruleName = (r: FirewallRuleInput) => `${r.direction ?? "?"} ${r.protocol ?? "?"} ${r.port ?? "(any port)"}`;
const SSH = `tcp ${SSH_PORT}`;

export function firewallProblems(
  rules: readonly FirewallRuleInput[],
  planned: readonly PublicPort[],
  context: Pick<StackContext, "operatorCidrs" | "deployCidrs">,
): string[] {
  const problems: string[] = [];
  const plannedKeys = new Set(planned.map((p) => `${p.protocol} ${portSpec(p.from, p.to)}`));
  const seen = new Set<string>();
  for (const rule of rules) {
    const key = `${rule.protocol} ${rule.port}`;
    if (rule.direction !== "in" || (key !== SSH && !plannedKeys.has(key))) {
      problems.push(
        `rule "${ruleName(rule)}" is not planned: the firewall opens only ${[...plannedKeys, SSH].join(", ")}`,
      );
      continue;
    }
    seen.add(key);
    if (key === SSH) problems.push(...sshProblems(rule.sourceIps ?? [], context));
    else if (!sameSet(rule.sourceIps ?? [], ANYWHERE))
      problems.push(`rule "${ruleName(rule)}" must be open from anywhere (${ANYWHERE.join(", ")}), as planned`);
  }
  for (const key of plannedKeys)
    if (!seen.has(key)) problems.push(`planned port ${key} has no rule: the host cannot serve it`);
  return problems;
}

function sshProblems(
  sources: readonly string[],
  context: Pick<StackContext, "operatorCidrs" | "deployCidrs">,
): string[] {
  if (!context.operatorCidrs)
    return [
      "SSH rule cannot be checked: no operator ranges (set roamcast:operatorCidrs in the stack file, or operatorCidrs in the pack config)",
    ];
  const operators = new Set(context.operatorCidrs.map(canonicalCidr));
  const deploy = new Set(context.deployCidrs.filter(isSingleAddress).map(canonicalCidr));
  return sources
    .filter((source) => !operators.has(canonicalCidr(source)) && !deploy.has(canonicalCidr(source)))
    .map(
      (source) =>
        `SSH (22/tcp) is open to ${source}, which is neither an operator range (${[...operators].join(", ")}) nor this deploy's runner`,
    );
}

function isSingleAddress(text: string): boolean {
  const c = parseCidr(text);
  return c !== undefined && c.prefix === FAMILY_BITS[c.family];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map(canonicalCidr));
  const right = new Set(b.map(canonicalCidr));
  return left.size === right.size && [...left].every((x) => right.has(x));
}
