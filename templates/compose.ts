// docker-compose.yaml: the services on the host network, images pinned. The
// monitoring services listen on 127.0.0.1 only (templates/model.ts PORTS).
import { ALERT_RULES_FILE } from "./alertRules";
import { assertRenderable, type HostModel, INSTALL_DIR, PORTS, runsRedis } from "./model";
import { RETENTION } from "./prometheus";
import { toYaml } from "./yaml";

/** uid/gid of the redis user in the official redis images; redis.conf is readable by it alone. */
export const REDIS_UID = 999;
/** uid/gid of "nobody", the user the prom/* images run as; alertmanager.yml is readable by it alone. */
export const NOBODY_UID = 65534;

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

/**
 * The Redis password for the exporter, in the JSON file its --redis.password-file
 * reads ({"<redis.addr>": "<password>"}, oliver006/redis_exporter
 * exporter/pwd_file.go): never on a command line, and not in the container's
 * environment, which `docker inspect` shows to anyone in the docker group.
 */
export const REDIS_EXPORTER_PASSWORD_FILE = "redis-exporter-password.json";
/** uid/gid the oliver006/redis_exporter image runs as (its Dockerfile's USER); the password file is readable by it alone. */
export const REDIS_EXPORTER_UID = 59000;
/** The Redis the exporter scrapes; the password file's key must be this very string. */
export const REDIS_EXPORTER_TARGET = `redis://127.0.0.1:${PORTS.redis}`;
const REDIS_EXPORTER_PASSWORD_PATH = "/etc/redis_exporter/password.json";

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
    // Only where Redis runs (node 1 of several).
    ...(runsRedis(model) && {
      "redis-exporter": {
        image: model.images.redisExporter,
        command: [
          `--redis.addr=${REDIS_EXPORTER_TARGET}`,
          `--redis.password-file=${REDIS_EXPORTER_PASSWORD_PATH}`,
          listen(PORTS.redisExporter),
        ],
        // Pinned, so that the 0600 file's owner is the user that reads it whatever the image says.
        user: `${REDIS_EXPORTER_UID}:${REDIS_EXPORTER_UID}`,
        ...common,
        volumes: [`./${REDIS_EXPORTER_PASSWORD_FILE}:${REDIS_EXPORTER_PASSWORD_PATH}:ro`],
      },
    }),
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
        ...(runsRedis(model) && { depends_on: { redis: { condition: "service_healthy" } } }),
        ulimits: { nofile: { soft: 500000, hard: 500000 } },
        stop_grace_period: `${LIVEKIT_STOP_GRACE_SECONDS}s`,
      },
      ...(runsRedis(model) && { redis: redisService(model, common) }),
      ...monitoringServices(model, common),
    },
    // Named volumes: created owned by the images' own user, kept across restarts.
    volumes: { prometheus_data: {}, alertmanager_data: {} },
  };
}

/** Redis for LiveKit's state: on the one server, or on node 1 of several (none on the others). */
function redisService(model: HostModel, common: Record<string, unknown>): Record<string, unknown> {
  return {
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
  };
}

export function renderComposeYaml(model: HostModel): string {
  return toYaml(composeConfig(model));
}

/** The exporter's password file: JSON, so any character of the password is carried as it is. */
export function renderRedisExporterPasswordFile(model: HostModel): string {
  assertRenderable(model);
  return `${JSON.stringify({ [REDIS_EXPORTER_TARGET]: model.secrets.redisPassword })}\n`;
}
