// What the policies know about the stack under analysis. The stack's name
// comes from the resources' URNs; its operator ranges, deploy address and
// production flag from the same Pulumi.<stack>.yaml the program reads
// (README: Policy pack). The pack's own config (`operatorCidrs`) overrides the
// stack file's ranges, so a workflow can pin them independently of the code
// under review.
import { parse } from "yaml";
import { deployCidrList } from "../config/operatorRanges";

export interface StackContext {
  readonly stack: string;
  readonly production: boolean;
  /** Undefined when neither the pack config nor the stack file names any. */
  readonly operatorCidrs?: readonly string[];
  /** The deploy workflow's runner for this `up` (roamcast:deployCidrs), single addresses. */
  readonly deployCidrs: readonly string[];
}

/** Reads Pulumi.<stack>.yaml's text, or undefined when the stack has no file. */
export type StackFileReader = (stack: string) => string | undefined;

/** "urn:pulumi:<stack>::<project>::<type>::<name>" → the stack. */
export function stackOfUrn(urn: string): string {
  const match = /^urn:pulumi:([^:]+)::/.exec(urn);
  if (!match) throw new Error(`not a Pulumi URN: ${urn}`);
  return match[1]!;
}

const truthy = (value: unknown) => value === true || value === "true";

export function stackContext(
  stack: string,
  readStackFile: StackFileReader,
  packConfig: { operatorCidrs?: string[] } = {},
): StackContext {
  const text = readStackFile(stack);
  const config = ((text ? parse(text) : undefined) ?? {}) as { config?: Record<string, unknown> };
  const values = config.config ?? {};
  const fromFile = values["roamcast:operatorCidrs"];
  const operatorCidrs =
    packConfig.operatorCidrs && packConfig.operatorCidrs.length > 0
      ? packConfig.operatorCidrs
      : Array.isArray(fromFile)
        ? fromFile.map(String)
        : undefined;
  const deploy = values["roamcast:deployCidrs"];
  // As config/checks.ts reads it: production on, or the prod stack not being retired.
  const production = truthy(values["roamcast:production"]) || (stack === "prod" && !truthy(values["roamcast:retire"]));
  return {
    stack,
    production,
    operatorCidrs,
    deployCidrs: typeof deploy === "string" ? deployCidrList(deploy) : [],
  };
}
