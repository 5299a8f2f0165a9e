// The Roamcast policy pack, served to the engine: `pulumi preview --policy-pack policy`.
// The stack's operator ranges and production flag come from the project's
// Pulumi.<stack>.yaml next to this folder (policy/stackContext.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PolicyPack } from "@pulumi/policy";
import { roamcastPolicies } from "./policies";

const projectDir = join(__dirname, "..");

function readStackFile(stack: string): string | undefined {
  try {
    return readFileSync(join(projectDir, `Pulumi.${stack}.yaml`), "utf8");
  } catch {
    return undefined;
  }
}

new PolicyPack("roamcast", { policies: roamcastPolicies(readStackFile) });
