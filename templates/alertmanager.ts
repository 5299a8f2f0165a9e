// alertmanager.yml: one receiver, from the stack config: e-mail through an
// SMTP smarthost, or a webhook. It holds the receiver's secret (the SMTP
// password or the webhook URL), so the file is secret and readable by
// Alertmanager's user alone.
import { assertRenderable, type HostModel } from "./model";
import { toYaml } from "./yaml";

export const ALERT_RECEIVER = "operators";

function receiverConfig(model: HostModel): { global: Record<string, unknown>; receiver: Record<string, unknown> } {
  const receiver = model.monitoring.receiver;
  const secret = model.secrets.alertReceiverSecret;
  if (receiver.kind === "webhook")
    return { global: {}, receiver: { name: ALERT_RECEIVER, webhook_configs: [{ url: secret, send_resolved: true }] } };
  return {
    global: {
      smtp_smarthost: receiver.smarthost,
      smtp_from: receiver.from,
      smtp_auth_username: receiver.username,
      smtp_auth_password: secret,
      // STARTTLS or nothing: the password never crosses the network in clear text.
      smtp_require_tls: true,
    },
    receiver: { name: ALERT_RECEIVER, email_configs: [{ to: receiver.to, send_resolved: true }] },
  };
}

export function alertmanagerConfig(model: HostModel): Record<string, unknown> {
  assertRenderable(model);
  const { global, receiver } = receiverConfig(model);
  return {
    global: { resolve_timeout: "5m", ...global },
    route: {
      receiver: ALERT_RECEIVER,
      group_by: ["alertname"],
      group_wait: "30s",
      group_interval: "5m",
      // A tour lasts hours: repeat an unresolved problem before the next one starts.
      repeat_interval: "4h",
    },
    receivers: [receiver],
    inhibit_rules: [
      // With Caddy down every probe through it fails too: one page, not three.
      { source_matchers: ['alertname="CaddyDown"'], target_matchers: ['alertname="CertificateProbeFailing"'] },
    ],
  };
}

export function renderAlertmanagerYaml(model: HostModel): string {
  return toYaml(alertmanagerConfig(model));
}
