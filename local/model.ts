// The host model the local platform renders from: the stack's default images
// and room policy, loopback in place of public addresses, and secrets made
// for this run.
import { CONFIG_FIELDS } from "../config/schema";
import { planMediaPorts } from "../plans/media";
import { BYTES_PER_TB, type HostModel, type HostSecrets, roomPolicy } from "../templates";

/** Alertmanager is not part of the local platform; its webhook points at a port nothing listens on. */
const LOCAL_ALERT_WEBHOOK = "http://127.0.0.1:9/roamcast-local-alerts";

export interface LocalModelOptions {
  readonly secrets: Omit<HostSecrets, "alertReceiverSecret">;
  readonly webhookUrl: string;
  readonly listenersPerTour?: number;
}

export function localHostModel(options: LocalModelOptions): HostModel {
  const listeners = options.listenersPerTour ?? CONFIG_FIELDS.listenersPerTour.default;
  return {
    livekitHost: "live.roamcast.localhost",
    turnHost: "turn.roamcast.localhost",
    acmeEmail: "ops@roamcast.localhost",
    publicIpv4: "127.0.0.1",
    publicIpv6: "::1",
    images: {
      livekit: CONFIG_FIELDS.livekitImage.default,
      caddy: CONFIG_FIELDS.caddyImage.default,
      redis: CONFIG_FIELDS.redisImage.default,
      prometheus: CONFIG_FIELDS.prometheusImage.default,
      alertmanager: CONFIG_FIELDS.alertmanagerImage.default,
      nodeExporter: CONFIG_FIELDS.nodeExporterImage.default,
      redisExporter: CONFIG_FIELDS.redisExporterImage.default,
      blackboxExporter: CONFIG_FIELDS.blackboxExporterImage.default,
    },
    room: roomPolicy(listeners),
    redundantAudio: CONFIG_FIELDS.redundantAudio.default,
    media: planMediaPorts(CONFIG_FIELDS.mediaPorts.default, CONFIG_FIELDS.serverType.default),
    secrets: { ...options.secrets, alertReceiverSecret: LOCAL_ALERT_WEBHOOK },
    webhook: { url: options.webhookUrl },
    monitoring: {
      receiver: { kind: "webhook" },
      monthlyTrafficBytes: CONFIG_FIELDS.monthlyTrafficTb.default * BYTES_PER_TB,
    },
  };
}
