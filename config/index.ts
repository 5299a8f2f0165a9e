// Reads the stack's config through Pulumi and validates it with the same rules
// the offline renderer uses. The only module that touches pulumi.Config.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseStackConfig, type StackSettings } from "./schema";

export { ConfigError, type StackSettings } from "./schema";

/** Secret settings, as Pulumi secrets: never plain strings in the program. */
export interface StackSecrets {
  readonly supabaseDbUrl: pulumi.Output<string>;
  readonly supabaseAccessToken: pulumi.Output<string>;
  readonly supabaseLegacyJwtSecret?: pulumi.Output<string>;
  /** The alert receiver's secret: the SMTP password with alertEmail, else the webhook URL. */
  readonly alertReceiverSecret: pulumi.Output<string>;
}

export interface StackConfig {
  readonly settings: StackSettings;
  readonly secrets: StackSecrets;
}

export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  // allConfig() holds every value of this stack, secrets decrypted: read
  // here only to validate before any resource exists, never passed on.
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === CONFIG_NAMESPACE && key) raw[key] = value;
  }
  const settings = parseStackConfig(pulumi.getStack(), raw, { secretsAvailable: true });
  const legacy = raw.supabaseLegacyJwtSecret;
  return {
    settings,
    secrets: {
      supabaseDbUrl: config.requireSecret("supabaseDbUrl"),
      supabaseAccessToken: config.requireSecret("supabaseAccessToken"),
      ...(legacy ? { supabaseLegacyJwtSecret: config.requireSecret("supabaseLegacyJwtSecret") } : {}),
      alertReceiverSecret: config.requireSecret(settings.alertEmail ? "alertSmtpPassword" : "alertWebhookUrl"),
    },
  };
}
