// redis.conf: LiveKit's room and participant state, reachable from this host only.
import { assertRenderable, type HostModel, PORTS } from "./model";

/**
 * Loopback, and on node 1 of several its private address: the other nodes'
 * LiveKit reach it there. Hetzner Cloud Firewalls do not filter the private
 * network, so this bind (and requirepass) is the control; the address is
 * bound without "-" so that Redis fails loudly, not silently, when the
 * private interface is missing.
 */
function bindAddresses(model: HostModel): string[] {
  // "-::1": bind IPv6 loopback when the host has it, without failing when not.
  const loopback = ["127.0.0.1", "-::1"];
  return model.redis?.role === "primary" ? [...loopback, model.redis.privateIp] : loopback;
}
import { directives, type Directive } from "./yaml";

function redisDirectives(model: HostModel): Directive[] {
  assertRenderable(model);
  return [
    ["bind", ...bindAddresses(model)],
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
  if (model.redis?.role === "remote") throw new Error("renderRedisConf: this node runs no Redis (it uses node 1's)");
  return directives(redisDirectives(model));
}
