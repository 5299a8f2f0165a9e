// Where Alertmanager sends alerts: exactly one receiver, e-mail (alertEmail
// with the alertSmtp* keys and the secret alertSmtpPassword) or a webhook (the
// secret alertWebhookUrl). The non-secret keys are checked everywhere; which
// kind is set, and the secrets, only where Pulumi has decrypted them. No
// message ever contains a secret's value.
import { fullKey, type StackSettings } from "./fields";

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SMARTHOST = /^[a-z0-9.-]+:\d{1,5}$/i;
const SMTP_KEYS = ["alertSmtpSmarthost", "alertSmtpFrom", "alertSmtpUsername"] as const;

type AlertSettings = Pick<StackSettings, "alertEmail" | (typeof SMTP_KEYS)[number]>;

const CHOOSE_ONE = `set ${fullKey("alertEmail")} with ${SMTP_KEYS.map(fullKey).join(", ")} and pulumi config set --secret ${fullKey("alertSmtpPassword")}; or instead pulumi config set --secret ${fullKey("alertWebhookUrl")} https://...`;

/** The e-mail receiver's keys, as far as they can be checked without the secrets. */
export function alertEmailProblems(s: AlertSettings): string[] {
  if (!s.alertEmail)
    return SMTP_KEYS.filter((k) => s[k]).map(
      (k) =>
        `${fullKey(k)} is set but ${fullKey("alertEmail")} is not, so no alert e-mail is sent; set ${fullKey("alertEmail")} to the address alerts go to, or unset ${fullKey(k)}`,
    );
  const problems: string[] = [];
  if (!EMAIL.test(s.alertEmail))
    problems.push(`${fullKey("alertEmail")} "${s.alertEmail}" is not an e-mail address; e.g. oncall@roamcast.app`);
  for (const k of SMTP_KEYS)
    if (!s[k])
      problems.push(
        `${fullKey(k)} is required with ${fullKey("alertEmail")}; set it with: pulumi config set ${fullKey(k)} <value>`,
      );
  const port = Number(s.alertSmtpSmarthost.split(":")[1]);
  if (s.alertSmtpSmarthost && (!SMARTHOST.test(s.alertSmtpSmarthost) || port < 1 || port > 65535))
    problems.push(
      `${fullKey("alertSmtpSmarthost")} "${s.alertSmtpSmarthost}" is not host:port; e.g. smtp.mailgun.org:587 (STARTTLS)`,
    );
  if (s.alertSmtpFrom && !EMAIL.test(s.alertSmtpFrom))
    problems.push(
      `${fullKey("alertSmtpFrom")} "${s.alertSmtpFrom}" is not an e-mail address; e.g. alerts@roamcast.app`,
    );
  return problems;
}

/** Exactly one receiver kind, and its secret. */
export function alertSecretProblems(raw: Readonly<Record<string, unknown>>, alertEmail: string): string[] {
  const given = (k: string) => typeof raw[k] === "string" && raw[k] !== "";
  const webhook = given("alertWebhookUrl") ? (raw.alertWebhookUrl as string) : undefined;
  if (alertEmail && webhook !== undefined)
    return [
      `${fullKey("alertEmail")} and ${fullKey("alertWebhookUrl")} are both set, but Alertmanager has one receiver; keep one: pulumi config rm ${fullKey("alertWebhookUrl")}, or unset ${fullKey("alertEmail")}`,
    ];
  if (!alertEmail && webhook === undefined) return [`alerts need a receiver, and none is set: ${CHOOSE_ONE}`];
  if (alertEmail) {
    if (!given("alertSmtpPassword"))
      return [
        `${fullKey("alertSmtpPassword")} is required with ${fullKey("alertEmail")}; set it with: pulumi config set --secret ${fullKey("alertSmtpPassword")}`,
      ];
    return [];
  }
  const problems: string[] = [];
  if (given("alertSmtpPassword"))
    problems.push(
      `${fullKey("alertSmtpPassword")} is set but alerts go to ${fullKey("alertWebhookUrl")}; remove it: pulumi config rm ${fullKey("alertSmtpPassword")}`,
    );
  if (!isHttpsUrl(webhook!))
    problems.push(
      `${fullKey("alertWebhookUrl")} is not an https:// URL (it is secret, so not shown here); set it with: pulumi config set --secret ${fullKey("alertWebhookUrl")} https://...`,
    );
  return problems;
}

function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && url.hostname !== "";
  } catch {
    return false;
  }
}
