// The host model the local platform renders from: the stack's default images
// and room policy, loopback in place of public addresses, and secrets made
// for this run.
import { CONFIG_FIELDS } from "../config/schema";
import { type HostModel, roomPolicy } from "../templates";

export interface LocalModelOptions {
  readonly secrets: HostModel["secrets"];
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
    },
    room: roomPolicy(listeners),
    redundantAudio: CONFIG_FIELDS.redundantAudio.default,
    secrets: options.secrets,
    webhook: { url: options.webhookUrl },
  };
}
