// The stack settings that shape the LiveKit host, in the host model's terms:
// everything but the addresses and the secrets, which only exist at deploy
// time. `pulumi up` and the offline render both start here.
import { type AlertReceiver, BYTES_PER_TB, type HostModel, roomPolicy } from "../templates";
import { planMediaPorts } from "./media";
import type { NodePlan } from "./nodes";
import { webhookUrl } from "./supabase";

export type HostSettings = Omit<HostModel, "publicIpv4" | "publicIpv6" | "secrets">;

/** The stack settings the host depends on (the stack's settings carry these keys). */
export interface HostInputs {
  readonly livekitHost: string;
  readonly turnHost: string;
  readonly acmeEmail: string;
  readonly livekitImage: string;
  readonly caddyImage: string;
  readonly redisImage: string;
  readonly prometheusImage: string;
  readonly alertmanagerImage: string;
  readonly nodeExporterImage: string;
  readonly redisExporterImage: string;
  readonly blackboxExporterImage: string;
  readonly alertEmail: string;
  readonly alertSmtpSmarthost: string;
  readonly alertSmtpFrom: string;
  readonly alertSmtpUsername: string;
  readonly monthlyTrafficTb: number;
  readonly listenersPerTour: number;
  readonly redundantAudio: boolean;
  /** "range" or "mux" (plans/media.ts); the mux's port count follows serverType's vCPUs. */
  readonly mediaPorts: string;
  readonly serverType: string;
  readonly supabaseProjectRef: string;
}

export function hostSettings(settings: HostInputs): HostSettings {
  return {
    livekitHost: settings.livekitHost,
    turnHost: settings.turnHost,
    acmeEmail: settings.acmeEmail,
    images: {
      livekit: settings.livekitImage,
      caddy: settings.caddyImage,
      redis: settings.redisImage,
      prometheus: settings.prometheusImage,
      alertmanager: settings.alertmanagerImage,
      nodeExporter: settings.nodeExporterImage,
      redisExporter: settings.redisExporterImage,
      blackboxExporter: settings.blackboxExporterImage,
    },
    room: roomPolicy(settings.listenersPerTour),
    redundantAudio: settings.redundantAudio,
    media: planMediaPorts(settings.mediaPorts, settings.serverType),
    webhook: { url: webhookUrl(settings.supabaseProjectRef) },
    monitoring: {
      receiver: alertReceiver(settings),
      monthlyTrafficBytes: settings.monthlyTrafficTb * BYTES_PER_TB,
    },
  };
}

/**
 * One node's host settings: its own names, and where its Redis is (one node:
 * exactly hostSettings). Every node renders the same media ports, from the
 * one serverType, so the one shared firewall fits each of them.
 */
export function nodeHostSettings(settings: HostInputs, node: NodePlan): HostSettings {
  const host = hostSettings({ ...settings, livekitHost: node.livekitHost, turnHost: node.turnHost });
  return node.redis.role === "single" ? host : { ...host, redis: node.redis };
}

/** E-mail when alertEmail is set, else the webhook (config/alerting.ts checks that exactly one is). */
export function alertReceiver(settings: HostInputs): AlertReceiver {
  if (!settings.alertEmail) return { kind: "webhook" };
  return {
    kind: "email",
    to: settings.alertEmail,
    from: settings.alertSmtpFrom,
    smarthost: settings.alertSmtpSmarthost,
    username: settings.alertSmtpUsername,
  };
}
