// The alert receiver's stack config: exactly one kind, every problem named
// with its key and fix, and never a secret's value in a message.
import { describe, expect, it } from "vitest";
import { configProblems, validRawConfig, validSecretConfig } from "../support/fixtures";

const EMAIL = {
  alertEmail: "oncall@roamcast.app",
  alertSmtpSmarthost: "smtp.roamcast.app:587",
  alertSmtpFrom: "alerts@roamcast.app",
  alertSmtpUsername: "alerts@roamcast.app",
};
const WEBHOOK_URL = "https://hooks.roamcast.app/alerts/s3cr3t-token";
const PASSWORD = "smtp-pa55word-s3cr3t";

/** Problems under `pulumi up` (secrets decrypted), with the fixtures' webhook replaced by `secrets`. */
function underPulumi(raw: Record<string, unknown>, secrets: Record<string, unknown>): readonly string[] {
  const { alertWebhookUrl: _, ...others } = validSecretConfig();
  return configProblems("dev", { ...validRawConfig(raw), ...others, ...secrets }, true);
}

describe("the alert receiver", () => {
  it("accepts e-mail with its SMTP settings and password, or a webhook URL", () => {
    expect(underPulumi(EMAIL, { alertSmtpPassword: PASSWORD })).toEqual([]);
    expect(underPulumi({}, { alertWebhookUrl: WEBHOOK_URL })).toEqual([]);
  });

  it("refuses none, naming both ways to set one", () => {
    expect(underPulumi({}, {})).toEqual([
      "alerts need a receiver, and none is set: set roamcast:alertEmail with roamcast:alertSmtpSmarthost, roamcast:alertSmtpFrom, roamcast:alertSmtpUsername and pulumi config set --secret roamcast:alertSmtpPassword; or instead pulumi config set --secret roamcast:alertWebhookUrl https://...",
    ]);
  });

  it("refuses both kinds at once, without echoing the URL", () => {
    const problems = underPulumi(EMAIL, { alertSmtpPassword: PASSWORD, alertWebhookUrl: WEBHOOK_URL });
    expect(problems).toEqual([
      "roamcast:alertEmail and roamcast:alertWebhookUrl are both set, but Alertmanager has one receiver; keep one: pulumi config rm roamcast:alertWebhookUrl, or unset roamcast:alertEmail",
    ]);
    expect(problems.join("\n")).not.toContain("s3cr3t");
  });

  it("asks for the SMTP password with e-mail, and refuses it beside a webhook", () => {
    expect(underPulumi(EMAIL, {})).toEqual([
      "roamcast:alertSmtpPassword is required with roamcast:alertEmail; set it with: pulumi config set --secret roamcast:alertSmtpPassword",
    ]);
    const problems = underPulumi({}, { alertWebhookUrl: WEBHOOK_URL, alertSmtpPassword: PASSWORD });
    expect(problems).toEqual([
      "roamcast:alertSmtpPassword is set but alerts go to roamcast:alertWebhookUrl; remove it: pulumi config rm roamcast:alertSmtpPassword",
    ]);
    expect(problems.join("\n")).not.toContain("s3cr3t");
  });

  it.each(["http://hooks.roamcast.app/alerts/s3cr3t", "hooks.roamcast.app/s3cr3t", "https://"])(
    "refuses the webhook URL %s without echoing it",
    (url) => {
      const problems = underPulumi({}, { alertWebhookUrl: url });
      expect(problems).toEqual([
        "roamcast:alertWebhookUrl is not an https:// URL (it is secret, so not shown here); set it with: pulumi config set --secret roamcast:alertWebhookUrl https://...",
      ]);
      expect(problems.join("\n")).not.toContain("s3cr3t");
    },
  );

  it("checks the e-mail settings offline too, each with its key and fix", () => {
    expect(configProblems("dev", validRawConfig({ alertEmail: "oncall" }))).toEqual([
      'roamcast:alertEmail "oncall" is not an e-mail address; e.g. oncall@roamcast.app',
      "roamcast:alertSmtpSmarthost is required with roamcast:alertEmail; set it with: pulumi config set roamcast:alertSmtpSmarthost <value>",
      "roamcast:alertSmtpFrom is required with roamcast:alertEmail; set it with: pulumi config set roamcast:alertSmtpFrom <value>",
      "roamcast:alertSmtpUsername is required with roamcast:alertEmail; set it with: pulumi config set roamcast:alertSmtpUsername <value>",
    ]);
    expect(
      configProblems("dev", validRawConfig({ ...EMAIL, alertSmtpSmarthost: "smtp.roamcast.app", alertSmtpFrom: "me" })),
    ).toEqual([
      'roamcast:alertSmtpSmarthost "smtp.roamcast.app" is not host:port; e.g. smtp.mailgun.org:587 (STARTTLS)',
      'roamcast:alertSmtpFrom "me" is not an e-mail address; e.g. alerts@roamcast.app',
    ]);
    expect(configProblems("dev", validRawConfig({ ...EMAIL, alertSmtpSmarthost: "smtp.roamcast.app:70000" }))).toEqual([
      'roamcast:alertSmtpSmarthost "smtp.roamcast.app:70000" is not host:port; e.g. smtp.mailgun.org:587 (STARTTLS)',
    ]);
  });

  it("names SMTP settings that no e-mail address uses", () => {
    expect(configProblems("dev", validRawConfig({ alertSmtpSmarthost: "smtp.roamcast.app:587" }))).toEqual([
      "roamcast:alertSmtpSmarthost is set but roamcast:alertEmail is not, so no alert e-mail is sent; set roamcast:alertEmail to the address alerts go to, or unset roamcast:alertSmtpSmarthost",
    ]);
  });

  it("refuses an unpinned monitoring image like any other", () => {
    expect(configProblems("dev", validRawConfig({ prometheusImage: "prom/prometheus:latest" }))).toEqual([
      'roamcast:prometheusImage "prom/prometheus:latest" is not pinned; name an exact tag other than latest, e.g. prom/prometheus:v3.16.0 (optionally @sha256:<digest>)',
    ]);
  });

  it("bounds the monthly traffic allowance", () => {
    expect(configProblems("dev", validRawConfig({ monthlyTrafficTb: "0" }))).toEqual([
      'roamcast:monthlyTrafficTb must be a whole number from 1 to 1000, got "0"',
    ]);
  });
});
