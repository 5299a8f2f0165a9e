// The whole program under Pulumi's mocks: the alert receiver's secret from the
// stack config reaches alertmanager.yml, and only as a secret.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readMigrations } from "../../db/migrations";
import { HOST_FILE_LAYOUT } from "../../templates";
import { validRawConfig, validSecretConfig } from "../support/fixtures";
import { isSecretInput, reveal, stackConfig, withMocks } from "../support/pulumiMocks";

const MIGRATIONS = readMigrations(join(__dirname, "..", "..", "migrations"));
const EXPECTED = [
  "livekit-deploy-apply",
  ...HOST_FILE_LAYOUT.map((f) => `livekit-deploy-file-${f.name}`),
  ...MIGRATIONS.map((m) => `supabase-migration-${m.version}`),
];
const PASSWORD = "smtp-pa55word-from-stack-config";

async function pushedFiles(raw: Record<string, unknown>, secrets: Record<string, unknown>) {
  const { alertWebhookUrl: _, ...others } = validSecretConfig();
  const run = await withMocks("dev", stackConfig({ ...validRawConfig(raw), ...others, ...secrets }));
  await import("../../index");
  await run.settle(EXPECTED);
  const stdin = (name: string) => run.one("command:remote:Command", `livekit-deploy-file-${name}`).inputs.stdin;
  return { stdin, all: HOST_FILE_LAYOUT.map((f) => ({ name: f.name, stdin: stdin(f.name) })) };
}

describe("the alert receiver under pulumi up", () => {
  it("e-mail: the SMTP password from the stack config is in alertmanager.yml, pushed as a secret, and nowhere else", async () => {
    const { stdin, all } = await pushedFiles(
      {
        alertEmail: "oncall@roamcast.app",
        alertSmtpSmarthost: "smtp.roamcast.app:587",
        alertSmtpFrom: "alerts@roamcast.app",
        alertSmtpUsername: "alerts@roamcast.app",
      },
      { alertSmtpPassword: PASSWORD },
    );
    expect(isSecretInput(stdin("alertmanager.yml"))).toBe(true);
    const am = parse(reveal(stdin("alertmanager.yml")));
    expect(am.global.smtp_auth_password).toBe(PASSWORD);
    expect(am.receivers[0].email_configs).toEqual([{ to: "oncall@roamcast.app", send_resolved: true }]);
    for (const f of all) expect(String(reveal(f.stdin)).includes(PASSWORD), f.name).toBe(f.name === "alertmanager.yml");
  });

  it("webhook: the URL from the stack config is the receiver", async () => {
    const url = "https://hooks.roamcast.app/alerts/from-stack-config";
    const { stdin } = await pushedFiles({}, { alertWebhookUrl: url });
    expect(isSecretInput(stdin("alertmanager.yml"))).toBe(true);
    expect(parse(reveal(stdin("alertmanager.yml"))).receivers[0].webhook_configs).toEqual([
      { url, send_resolved: true },
    ]);
  });
});
