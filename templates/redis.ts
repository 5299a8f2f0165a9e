// redis.conf: LiveKit's room and participant state, reachable from this host only.
import { assertRenderable, type HostModel, PORTS } from "./model";
import { directives, type Directive } from "./yaml";

function redisDirectives(model: HostModel): Directive[] {
  assertRenderable(model);
  return [
    // "-::1": bind IPv6 loopback when the host has it, without failing when not.
    ["bind", "127.0.0.1", "-::1"],
    ["protected-mode", "yes"],
    ["port", PORTS.redis],
    ["requirepass", model.secrets.redisPassword],
    // LiveKit's state lives as long as its rooms: nothing to persist, and a
    // snapshot would only stall the host during a tour.
    ["save", '""'],
    ["appendonly", "no"],
    ["maxmemory", "512mb"],
    // Evicting room state would corrupt rooms; refuse writes instead, loudly.
    ["maxmemory-policy", "noeviction"],
  ];
}

export function renderRedisConf(model: HostModel): string {
  return directives(redisDirectives(model));
}
