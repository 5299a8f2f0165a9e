// Every file the LiveKit host gets, where it goes, who may read it. The
// layout is static (known at preview time); only the contents are rendered.
import { ALERT_RULES_FILE, renderAlertRules } from "./alertRules";
import { renderAlertmanagerYaml } from "./alertmanager";
import { renderBlackboxYaml } from "./blackbox";
import { renderCaddyYaml } from "./caddy";
import {
  NOBODY_UID,
  REDIS_EXPORTER_PASSWORD_FILE,
  REDIS_EXPORTER_UID,
  REDIS_UID,
  renderComposeYaml,
  renderRedisExporterPasswordFile,
} from "./compose";
import { renderLivekitYaml } from "./livekit";
import { type HostModel, INSTALL_DIR, runsRedis } from "./model";
import { renderPrometheusYaml } from "./prometheus";
import { renderRedisConf } from "./redis";
import { renderSystemdUnit, UNIT_NAME } from "./systemd";

export type HostFileName =
  | "livekit.yaml"
  | "caddy.yaml"
  | "redis.conf"
  | "docker-compose.yaml"
  | "livekit-docker.service"
  | "prometheus.yml"
  | typeof ALERT_RULES_FILE
  | "alertmanager.yml"
  | "blackbox.yml"
  | typeof REDIS_EXPORTER_PASSWORD_FILE;

export interface HostFileLayout {
  readonly name: HostFileName;
  readonly path: string;
  /** Octal permission string, as cloud-init and chmod take it. */
  readonly mode: "0600" | "0644";
  readonly uid: number;
  readonly gid: number;
  /** Holds a key or password: readable by its owner only, kept secret in Pulumi. */
  readonly secret: boolean;
  /**
   * The compose services that read the file: a change restarts those alone.
   * Two markers stand for whole-stack files (templates/restarts.ts):
   * CHANGED_DEFINITIONS for the compose file (the services whose definition
   * changed, as compose's own config hash tells) and WHOLE_STACK for the unit.
   */
  readonly services: readonly string[];
}

export interface HostFile extends HostFileLayout {
  readonly content: string;
}

/** Every service restarts: the systemd unit runs the whole stack. */
export const WHOLE_STACK = "*";
/** The services whose compose definition changed restart, as `docker compose up -d` would recreate them. */
export const CHANGED_DEFINITIONS = "*changed-definitions";

const secretFile = { mode: "0600", secret: true } as const;
const publicFile = { mode: "0644", secret: false } as const;
const root = { uid: 0, gid: 0 } as const;

export const HOST_FILE_LAYOUT: readonly HostFileLayout[] = [
  { name: "livekit.yaml", path: `${INSTALL_DIR}/livekit.yaml`, ...secretFile, ...root, services: ["livekit"] },
  { name: "caddy.yaml", path: `${INSTALL_DIR}/caddy.yaml`, ...publicFile, ...root, services: ["caddy"] },
  {
    name: "redis.conf",
    path: `${INSTALL_DIR}/redis.conf`,
    ...secretFile,
    uid: REDIS_UID,
    gid: REDIS_UID,
    services: ["redis"],
  },
  {
    name: "docker-compose.yaml",
    path: `${INSTALL_DIR}/docker-compose.yaml`,
    ...publicFile,
    ...root,
    services: [CHANGED_DEFINITIONS],
  },
  {
    name: "livekit-docker.service",
    path: `/etc/systemd/system/${UNIT_NAME}`,
    ...publicFile,
    ...root,
    services: [WHOLE_STACK],
  },
  { name: "prometheus.yml", path: `${INSTALL_DIR}/prometheus.yml`, ...publicFile, ...root, services: ["prometheus"] },
  {
    name: ALERT_RULES_FILE,
    path: `${INSTALL_DIR}/${ALERT_RULES_FILE}`,
    ...publicFile,
    ...root,
    services: ["prometheus"],
  },
  // The receiver's secret (SMTP password or webhook URL): Alertmanager runs as nobody.
  {
    name: "alertmanager.yml",
    path: `${INSTALL_DIR}/alertmanager.yml`,
    ...secretFile,
    uid: NOBODY_UID,
    gid: NOBODY_UID,
    services: ["alertmanager"],
  },
  {
    name: "blackbox.yml",
    path: `${INSTALL_DIR}/blackbox.yml`,
    ...publicFile,
    ...root,
    services: ["blackbox-exporter"],
  },
  // Mounted read-only into the exporter's container, which reads it at start as its own user.
  {
    name: REDIS_EXPORTER_PASSWORD_FILE,
    path: `${INSTALL_DIR}/${REDIS_EXPORTER_PASSWORD_FILE}`,
    ...secretFile,
    uid: REDIS_EXPORTER_UID,
    gid: REDIS_EXPORTER_UID,
    services: ["redis-exporter"],
  },
];

const RENDERERS: Record<HostFileName, (model: HostModel) => string> = {
  "livekit.yaml": renderLivekitYaml,
  "caddy.yaml": renderCaddyYaml,
  "redis.conf": renderRedisConf,
  "docker-compose.yaml": renderComposeYaml,
  "livekit-docker.service": () => renderSystemdUnit(),
  "prometheus.yml": renderPrometheusYaml,
  [ALERT_RULES_FILE]: renderAlertRules,
  "alertmanager.yml": renderAlertmanagerYaml,
  "blackbox.yml": renderBlackboxYaml,
  [REDIS_EXPORTER_PASSWORD_FILE]: renderRedisExporterPasswordFile,
};

/** Read by Redis and its exporter: absent on a node that uses node 1's Redis. */
const REDIS_FILES: readonly HostFileName[] = ["redis.conf", REDIS_EXPORTER_PASSWORD_FILE];

/** The files a host with this Redis placement gets: every file, but the Redis ones only where Redis runs. */
export function hostFileLayout(model: Pick<HostModel, "redis">): readonly HostFileLayout[] {
  return runsRedis(model) ? HOST_FILE_LAYOUT : HOST_FILE_LAYOUT.filter((f) => !REDIS_FILES.includes(f.name));
}

export function renderHostFiles(model: HostModel): HostFile[] {
  return hostFileLayout(model).map((layout) => ({ ...layout, content: RENDERERS[layout.name](model) }));
}
