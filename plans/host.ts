// The stack settings that shape the LiveKit host, in the host model's terms:
// everything but the addresses and the secrets, which only exist at deploy
// time. `pulumi up` and the offline render both start here.
import { type HostModel, roomPolicy } from "../templates";
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
  readonly listenersPerTour: number;
  readonly redundantAudio: boolean;
  readonly supabaseProjectRef: string;
}

export function hostSettings(settings: HostInputs): HostSettings {
  return {
    livekitHost: settings.livekitHost,
    turnHost: settings.turnHost,
    acmeEmail: settings.acmeEmail,
    images: { livekit: settings.livekitImage, caddy: settings.caddyImage, redis: settings.redisImage },
    room: roomPolicy(settings.listenersPerTour),
    redundantAudio: settings.redundantAudio,
    webhook: { url: webhookUrl(settings.supabaseProjectRef) },
  };
}
