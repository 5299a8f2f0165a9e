// Parses a stack's raw config into typed settings: one generic loop over the
// field table (config/fields.ts) reads each value by its kind, then the rules
// that look at several settings at once run on the result (config/checks.ts),
// then, under `pulumi up`/`preview`, the secrets and placeholder checks.
// Every problem is collected and thrown at once as one ConfigError.
import { alertSecretProblems } from "./alerting";
import { settingsProblems } from "./checks";
import { canonicalCidr } from "./cidr";
import {
  CONFIG_FIELDS,
  type ConfigKey,
  type FieldSpec,
  fullKey,
  type IntegerSpec,
  type ListSpec,
  SETTING_KEYS,
  type StackSettings,
} from "./fields";
import { placeholderProblems } from "./placeholders";
import { secretProblems } from "./secrets";

export {
  CONFIG_FIELDS,
  CONFIG_NAMESPACE,
  type ConfigKey,
  type ConfigType,
  type FieldSpec,
  type StackSettings,
} from "./fields";
export { poolerUrlProblems } from "./secrets";

export interface ParseOptions {
  /**
   * True under `pulumi up`/`preview`, where secret values are decrypted and
   * checked; false for offline tools, which never see them. Placeholders (the
   * committed example key, documentation addresses) are refused only then, so
   * the offline render keeps working on the committed stack files.
   */
  readonly secretsAvailable?: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/**
 * Parses raw config values (as Pulumi holds them: strings, or already-parsed
 * YAML values) into settings, collecting every problem before throwing one
 * ConfigError that names each key and its fix.
 */
export function parseStackConfig(
  stack: string,
  raw: Readonly<Record<string, unknown>>,
  options: ParseOptions = {},
): StackSettings {
  const problems = unknownKeyProblems(raw);
  const values: Record<string, unknown> = { stack };
  for (const k of SETTING_KEYS) {
    const field = parseField(k, CONFIG_FIELDS[k], raw[k]);
    values[k] = field.value;
    if (field.problem) problems.push(field.problem);
  }
  const settings = values as StackSettings;
  problems.push(...settingsProblems(settings));
  if (options.secretsAvailable) {
    problems.push(
      ...secretProblems(raw, settings.supabaseProjectRef),
      ...alertSecretProblems(raw, settings.alertEmail),
      ...placeholderProblems(settings),
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return canonicalSettings(settings);
}

/** Rewrites each valid value into its canonical spelling, after the rules have quoted what was written. */
function canonicalSettings(settings: StackSettings): StackSettings {
  const out: Record<string, unknown> = { ...settings };
  for (const k of SETTING_KEYS) {
    const spec: FieldSpec = CONFIG_FIELDS[k];
    if (spec.type === "array" && spec.canonical === "cidr")
      out[k] = (settings[k] as readonly string[]).map(canonicalCidr);
  }
  return out as StackSettings;
}

function unknownKeyProblems(raw: Readonly<Record<string, unknown>>): string[] {
  const known = Object.keys(CONFIG_FIELDS);
  return Object.keys(raw)
    .filter((name) => !known.includes(name))
    .map(
      (name) => `${fullKey(name)} is not a known setting; remove it or check its spelling (known: ${known.join(", ")})`,
    );
}

interface ParsedField {
  /** The parsed value, or a harmless stand-in ("", [], min, false) that the later rules skip. */
  readonly value: unknown;
  readonly problem?: string;
}

/** Reads one value by its kind; an unset, null or empty value takes the field's default. */
function parseField(k: ConfigKey, spec: FieldSpec, given: unknown): ParsedField {
  const value = given === undefined || given === null || given === "" ? spec.default : given;
  switch (spec.type) {
    case "string":
      return parseString(k, value, spec.example ?? String(spec.default), spec.normalise === "hostName");
    case "integer":
      return parseInteger(k, value, spec);
    case "boolean":
      if (value === true || value === "true") return { value: true };
      if (value === false || value === "false") return { value: false };
      return { value: false, problem: `${fullKey(k)} must be true or false, got ${JSON.stringify(value)}` };
    case "array":
      return parseList(k, value, spec);
  }
}

function parseString(k: ConfigKey, value: unknown, example: string, hostName: boolean): ParsedField {
  const hint = `set it with: pulumi config set ${fullKey(k)} ${example}`;
  if (value === undefined) return { value: "", problem: `${fullKey(k)} is required; ${hint}` };
  if (typeof value !== "string")
    return { value: "", problem: `${fullKey(k)} must be a string, got ${JSON.stringify(value)}; ${hint}` };
  const trimmed = value.trim();
  return { value: hostName ? trimmed.toLowerCase().replace(/\.$/, "") : trimmed };
}

function parseInteger(k: ConfigKey, value: unknown, spec: IntegerSpec): ParsedField {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n === "number" && Number.isInteger(n) && n >= spec.min && n <= spec.max) return { value: n };
  return {
    value: spec.min,
    problem:
      `${fullKey(k)} must be a whole number from ${spec.min} to ${spec.max}, got ${JSON.stringify(value)}` +
      (spec.example === undefined ? "" : `; set it with: pulumi config set ${fullKey(k)} ${spec.example}`),
  };
}

/** Pulumi hands a list over as JSON text; a YAML stack file as an array. */
function parseList(k: ConfigKey, value: unknown, spec: ListSpec): ParsedField {
  let list = value;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      /* reported below */
    }
  }
  // A list with a default may be empty; one without (the operators' keys and ranges) may not.
  const emptyAllowed = spec.default !== undefined;
  if (Array.isArray(list) && (emptyAllowed || list.length > 0) && list.every((x) => typeof x === "string"))
    return { value: list.map((x: string) => x.trim()) };
  return {
    value: [],
    problem: `${fullKey(k)} must be a ${emptyAllowed ? "" : "non-empty "}list of strings, got ${JSON.stringify(value)}; set it with: pulumi config set --path '${fullKey(k)}[0]' ${spec.example}`,
  };
}
