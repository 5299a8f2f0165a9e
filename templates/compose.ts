// docker-compose.yaml: the three services on the host network, images pinned.
import { assertRenderable, type HostModel, INSTALL_DIR } from "./model";
import { toYaml } from "./yaml";

/** uid/gid of the redis user in the official redis images; redis.conf is readable by it alone. */
export const REDIS_UID = 999;

export const SERVICE_NAMES = ["caddy", "livekit", "redis"] as const;

export function composeConfig(model: HostModel): Record<string, unknown> {
  assertRenderable(model);
  const common = { restart: "unless-stopped", network_mode: "host", logging: { driver: "local" } };
  return {
    name: "livekit",
    services: {
      caddy: {
        image: model.images.caddy,
        command: ["caddy", "run", "--config", "/etc/caddy.yaml", "--adapter", "yaml"],
        ...common,
        volumes: ["./caddy.yaml:/etc/caddy.yaml:ro", `${INSTALL_DIR}/caddy_data:/data`],
      },
      livekit: {
        image: model.images.livekit,
        command: ["--config", "/etc/livekit.yaml"],
        ...common,
        volumes: ["./livekit.yaml:/etc/livekit.yaml:ro"],
        depends_on: { redis: { condition: "service_healthy" } },
        ulimits: { nofile: { soft: 500000, hard: 500000 } },
        // LiveKit drains rooms on SIGTERM; clients reconnect on their own, so
        // a config change waits this long rather than for the whole tour.
        stop_grace_period: "30s",
      },
      redis: {
        image: model.images.redis,
        command: ["redis-server", "/usr/local/etc/redis/redis.conf"],
        ...common,
        user: `${REDIS_UID}:${REDIS_UID}`,
        volumes: ["./redis.conf:/usr/local/etc/redis/redis.conf:ro"],
        // Alive and answering, without putting the password on a command line.
        healthcheck: {
          test: ["CMD-SHELL", "redis-cli -h 127.0.0.1 ping 2>&1 | grep -qE 'PONG|NOAUTH'"],
          interval: "10s",
          timeout: "3s",
          retries: 5,
        },
      },
    },
  };
}

export function renderComposeYaml(model: HostModel): string {
  return toYaml(composeConfig(model));
}
