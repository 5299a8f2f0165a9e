// Reads the stack's config through Pulumi and validates it with the same rules
// the offline renderer uses. The only module that touches pulumi.Config.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_FIELDS, CONFIG_NAMESPACE, type ConfigKey, parseStackConfig, type StackSettings } from "./schema";

export { ConfigError, type StackSettings } from "./schema";

export function loadStackConfig(): StackSettings {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_FIELDS) as ConfigKey[]) {
    const value = config.get(key);
    if (value !== undefined) raw[key] = value;
  }
  // Misspelt keys are passed on too, so the parser can name them.
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === CONFIG_NAMESPACE && key && !(key in raw)) raw[key] = pulumi.runtime.allConfig()[fullKey];
  }
  return parseStackConfig(pulumi.getStack(), raw);
}
