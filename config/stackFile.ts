// Reads a stack's settings straight from Pulumi.<stack>.yaml, for tools that
// run without the Pulumi CLI (offline render, capacity planner, smoke test).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_FIELDS, CONFIG_NAMESPACE, type FieldSpec, parseStackConfig, type StackSettings } from "./schema";

function stackFilePath(projectDir: string, stack: string): string {
  return join(projectDir, `Pulumi.${stack}.yaml`);
}

export function readStackSettings(projectDir: string, stack: string): StackSettings {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`--stack "${stack}" is not a stack name; use e.g. dev or prod`);
  const path = stackFilePath(projectDir, stack);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(
      `No stack file ${path}; create it with: pulumi stack init ${stack}, then set its config (see README)`,
    );
  }
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    const [namespace, key] = fullKey.split(":");
    if (namespace !== CONFIG_NAMESPACE || !key) continue;
    if (value && typeof value === "object" && "secure" in value) {
      // Encrypted: offline tools cannot read it, and need not.
      if (key in CONFIG_FIELDS && (CONFIG_FIELDS as Record<string, FieldSpec>)[key]!.secret) continue;
      throw new Error(
        `${fullKey} is stored as a secret in ${path}, but it is not a secret setting; set it in plain text`,
      );
    }
    raw[key] = value;
  }
  return parseStackConfig(stack, raw);
}
