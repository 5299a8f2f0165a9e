// docker-compose.yaml: the services on the host network, images pinned. The
// monitoring services listen on 127.0.0.1 only (templates/model.ts PORTS).
import { ALERT_RULES_FILE } from "./alertRules";
import { assertRenderable, type HostModel, INSTALL_DIR, PORTS } from "./model";
import { RETENTION } from "./prometheus";
import { toYaml } from "./yaml";

/** uid/gid of the redis user in the official redis images; redis.conf is readable by it alone. */
export const REDIS_UID = 999;
/** uid/gid of "nobody", the user the prom/* images run as; alertmanager.yml is readable by it alone. */
export const NOBODY_UID = 65534;

/** The Redis password for the exporter, as an env file compose reads: never on a command line. */
export const REDIS_EXPORTER_ENV = "redis-exporter.env";

export const SERVICE_NAMES = [
  "caddy",
  "livekit",
  "redis",
  "prometheus",
  "alertmanager",
  "node-exporter",
  "redis-exporter",
  "blackbox-exporter",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const listen = (port: number) => `--web.listen-address=127.0.0.1:${port}`;

function monitoringServices(model: HostModel, common: Record<string, unknown>): Record<string, unknown> {
  return {
    prometheus: {
      image: model.images.prometheus,
      command: [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        `--storage.tsdb.retention.time=${RETENTION.time}`,
        `--storage.tsdb.retention.size=${RETENTION.size}`,
        listen(PORTS.prometheus),
      ],
      ...common,
      volumes: [
        "./prometheus.yml:/etc/prometheus/prometheus.yml:ro",
        `./${ALERT_RULES_FILE}:/etc/prometheus/${ALERT_RULES_FILE}:ro`,
        "prometheus_data:/prometheus",
      ],
    },
    alertmanager: {
      image: model.images.alertmanager,
      command: [
        "--config.file=/etc/alertmanager/alertmanager.yml",
        "--storage.path=/alertmanager",
        listen(PORTS.alertmanager),
        // A single instance: no gossip port at all.
        "--cluster.listen-address=",
        // Links in notifications open through the operator's SSH tunnel (README).
        `--web.external-url=http://127.0.0.1:${PORTS.alertmanager}/`,
      ],
      ...common,
      volumes: ["./alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro", "alertmanager_data:/alertmanager"],
    },
    "node-exporter": {
      image: model.images.nodeExporter,
      command: [
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/host/root",
        listen(PORTS.nodeExporter),
      ],
      ...common,
      // The host's processes, devices and disks, read-only. The netstat
      // collector's default fields include Udp_RcvbufErrors (node_exporter v1.12.1).
      pid: "host",
      volumes: ["/proc:/host/proc:ro", "/sys:/host/sys:ro", "/:/host/root:ro,rslave"],
    },
    "redis-exporter": {
      image: model.images.redisExporter,
      command: [`--redis.addr=redis://127.0.0.1:${PORTS.redis}`, listen(PORTS.redisExporter)],
      ...common,
      // REDIS_PASSWORD, from a 0600 file: not in this file, not in `ps`.
      env_file: [`./${REDIS_EXPORTER_ENV}`],
    },
    "blackbox-exporter": {
      image: model.images.blackboxExporter,
      command: ["--config.file=/etc/blackbox_exporter/config.yml", listen(PORTS.blackboxExporter)],
      ...common,
      volumes: ["./blackbox.yml:/etc/blackbox_exporter/config.yml:ro"],
    },
  };
}

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
      ...monitoringServices(model, common),
    },
    // Named volumes: created owned by the images' own user, kept across restarts.
    volumes: { prometheus_data: {}, alertmanager_data: {} },
  };
}

export function renderComposeYaml(model: HostModel): string {
  return toYaml(composeConfig(model));
}

/** compose's env-file syntax: single quotes keep the value literal (no $ interpolation). */
export function renderRedisExporterEnv(model: HostModel): string {
  assertRenderable(model);
  return `REDIS_PASSWORD='${model.secrets.redisPassword}'\n`;
}
