// The stack settings that shape the LiveKit host, in the host model's terms:
// everything but the addresses and the secrets, which only exist at deploy
// time. `pulumi up` and the offline render both start here.
import type { StackSettings } from "../config/schema";
import { type HostModel, roomPolicy } from "../templates";
import { webhookUrl } from "./supabasePlan";

export type HostSettings = Omit<HostModel, "publicIpv4" | "publicIpv6" | "secrets">;

export function hostSettings(settings: StackSettings): HostSettings {
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
