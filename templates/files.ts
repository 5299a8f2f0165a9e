// Every file the LiveKit host gets, where it goes, who may read it. The
// layout is static (known at preview time); only the contents are rendered.
import { ALERT_RULES_FILE, renderAlertRules } from "./alertRules";
import { renderAlertmanagerYaml } from "./alertmanager";
import { renderBlackboxYaml } from "./blackbox";
import { renderCaddyYaml } from "./caddy";
import { NOBODY_UID, REDIS_EXPORTER_ENV, REDIS_UID, renderComposeYaml, renderRedisExporterEnv } from "./compose";
import { renderLivekitYaml } from "./livekit";
import { type HostModel, INSTALL_DIR } from "./model";
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
  | typeof REDIS_EXPORTER_ENV;

export interface HostFileLayout {
  readonly name: HostFileName;
  readonly path: string;
  /** Octal permission string, as cloud-init and chmod take it. */
  readonly mode: "0600" | "0644";
  readonly uid: number;
  readonly gid: number;
  /** Holds a key or password: readable by its owner only, kept secret in Pulumi. */
  readonly secret: boolean;
}

export interface HostFile extends HostFileLayout {
  readonly content: string;
}

const secretFile = { mode: "0600", secret: true } as const;
const publicFile = { mode: "0644", secret: false } as const;
const root = { uid: 0, gid: 0 } as const;

export const HOST_FILE_LAYOUT: readonly HostFileLayout[] = [
  { name: "livekit.yaml", path: `${INSTALL_DIR}/livekit.yaml`, ...secretFile, ...root },
  { name: "caddy.yaml", path: `${INSTALL_DIR}/caddy.yaml`, ...publicFile, ...root },
  { name: "redis.conf", path: `${INSTALL_DIR}/redis.conf`, ...secretFile, uid: REDIS_UID, gid: REDIS_UID },
  { name: "docker-compose.yaml", path: `${INSTALL_DIR}/docker-compose.yaml`, ...publicFile, ...root },
  { name: "livekit-docker.service", path: `/etc/systemd/system/${UNIT_NAME}`, ...publicFile, ...root },
  { name: "prometheus.yml", path: `${INSTALL_DIR}/prometheus.yml`, ...publicFile, ...root },
  { name: ALERT_RULES_FILE, path: `${INSTALL_DIR}/${ALERT_RULES_FILE}`, ...publicFile, ...root },
  // The receiver's secret (SMTP password or webhook URL): Alertmanager runs as nobody.
  {
    name: "alertmanager.yml",
    path: `${INSTALL_DIR}/alertmanager.yml`,
    ...secretFile,
    uid: NOBODY_UID,
    gid: NOBODY_UID,
  },
  { name: "blackbox.yml", path: `${INSTALL_DIR}/blackbox.yml`, ...publicFile, ...root },
  // Read by docker compose itself (as root), which hands it to the exporter's environment.
  { name: REDIS_EXPORTER_ENV, path: `${INSTALL_DIR}/${REDIS_EXPORTER_ENV}`, ...secretFile, ...root },
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
  [REDIS_EXPORTER_ENV]: renderRedisExporterEnv,
};

export function renderHostFiles(model: HostModel): HostFile[] {
  return HOST_FILE_LAYOUT.map((layout) => ({ ...layout, content: RENDERERS[layout.name](model) }));
}
