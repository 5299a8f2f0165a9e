// Pulumi.yaml and config/schema.ts declare the same settings, and the Pulumi
// CLI (which reads Pulumi.yaml before the program runs) requires exactly the keys
// the program requires; test/tools/pulumiCli.test.ts runs the real CLI on it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_FIELDS, type FieldSpec, parseStackConfig } from "../../config/schema";
import { validRawConfig, validSecretConfig } from "../support/fixtures";

const root = join(__dirname, "..", "..");

describe("Pulumi.yaml", () => {
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };

  it("declares exactly the settings the parser knows, with the same types and defaults", () => {
    expect(Object.keys(project.config).sort()).toEqual(Object.keys(CONFIG_FIELDS).sort());
    for (const [key, spec] of Object.entries(CONFIG_FIELDS) as [string, FieldSpec][]) {
      const declared = project.config[key]!;
      expect(declared.type, key).toBe(spec.type);
      expect(declared.description, key).toBe(spec.description);
      // An optional key's default is "", which the parser reads as unset (next test).
      expect(declared.default, key).toEqual(spec.optional ? "" : spec.default);
      if (spec.type === "array") expect(declared.items).toEqual({ type: "string" });
      // The CLI refuses a typed secret's default as unencrypted: optional secrets are not marked.
      expect(declared.secret, key).toBe(spec.secret && !spec.optional ? true : undefined);
    }
  });

  it("the CLI requires exactly the keys the parser requires: optional or defaulted ⇔ a default in Pulumi.yaml", () => {
    // The CLI's rule (pkg/workspace/config.go): a project key with neither `default` nor `value` is required.
    const requiredByCli = (k: string) => !("default" in project.config[k]!) && !("value" in project.config[k]!);
    const requiredByParser = (spec: FieldSpec) => spec.default === undefined && !spec.optional;
    for (const [key, spec] of Object.entries(CONFIG_FIELDS) as [string, FieldSpec][])
      expect(requiredByCli(key), key).toBe(requiredByParser(spec));
    // A typed `secret: true` key with a default is refused by the CLI whenever it is unset.
    for (const [key, declared] of Object.entries(project.config))
      expect(declared.type && declared.secret && "default" in declared, key).toBeFalsy();
    // What the CLI hands the program for an unset optional key (its default) reads as unset.
    const cliDefaults = Object.fromEntries(
      Object.entries(project.config).flatMap(([k, d]) => ("default" in d ? [[k, String(d.default)]] : [])),
    );
    const given = { ...validRawConfig(), ...validSecretConfig() };
    const underPulumi = { secretsAvailable: true };
    expect(parseStackConfig("dev", { ...cliDefaults, ...given }, underPulumi)).toEqual(
      parseStackConfig("dev", given, underPulumi),
    );
  });
});
