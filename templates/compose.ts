// docker-compose.yaml: the three services on the host network, images pinned.
import { assertRenderable, type HostModel, INSTALL_DIR } from "./model";
import { toYaml } from "./yaml";

/** uid/gid of the redis user in the official redis images; redis.conf is readable by it alone. */
export const REDIS_UID = 999;

/**
 * How long Docker lets LiveKit drain before SIGKILL. livekit-server v1.13.5
 * on SIGTERM (cmd/server/main.go, pkg/service/server.go Stop) marks its node
 * SHUTTING_DOWN, so no new room is placed on it (joins to a room it already
 * hosts still succeed), then waits, checking every 5 s and with no limit of
 * its own, until no participant is left; only a second signal stops it at
 * once (rooms closed, each participant told DISCONNECT / SERVER_SHUTDOWN).
 * Docker sends one SIGTERM, then SIGKILL after this period: an empty server
 * (the guard's case) exits at once; a tour still on air keeps its audio for
 * this long, in case it ends, and is then cut (the clients' SDK reconnects
 * them to the new server). Longer only delays the change: the outage starts
 * at the kill (measured: README, bench/restarts.ts).
 */
export const LIVEKIT_STOP_GRACE_SECONDS = 30;

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
        stop_grace_period: `${LIVEKIT_STOP_GRACE_SECONDS}s`,
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
