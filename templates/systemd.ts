// livekit-docker.service: runs the compose stack from the install folder.
import { LIVEKIT_STOP_GRACE_SECONDS } from "./compose";
import { INSTALL_DIR } from "./model";
import { directives, type Directive } from "./yaml";

export const UNIT_NAME = "livekit-docker.service";
const DOCKER = "/usr/bin/docker";
const COMPOSE = `${DOCKER} compose --project-directory ${INSTALL_DIR} -f ${INSTALL_DIR}/docker-compose.yaml`;

function unitSections(): Record<string, Directive[]> {
  return {
    Unit: [
      ["Description", "LiveKit stack (LiveKit server, Caddy, Redis) under docker compose"],
      ["After", "docker.service network-online.target"],
      ["Requires", "docker.service"],
      ["Wants", "network-online.target"],
    ],
    Service: [
      // The unit brings the whole stack up and down; the containers run under
      // Docker (restart: unless-stopped), so a single service can be recreated
      // by `docker compose up -d <service>` without this unit stopping the rest.
      // A foreground `compose up` with `compose down` before it would stop
      // every container on each start instead.
      ["Type", "oneshot"],
      ["RemainAfterExit", "yes"],
      ["WorkingDirectory", INSTALL_DIR],
      // --wait: started means running (Redis healthy), so a failed start shows here.
      ["ExecStart", `${COMPOSE} up -d --wait --remove-orphans`],
      ["ExecStop", `${COMPOSE} down`],
      // First boot pulls every image before starting.
      ["TimeoutStartSec", "300s"],
      // `down` stops LiveKit (its stop_grace_period, templates/compose.ts)
      // before Redis (10 s, compose's default), Caddy alongside: the unit
      // allows both in turn and removing the containers.
      ["TimeoutStopSec", `${LIVEKIT_STOP_GRACE_SECONDS + 10 + 50}s`],
      ["LimitNOFILE", "500000"],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  };
}

export function renderSystemdUnit(): string {
  return Object.entries(unitSections())
    .map(([section, lines]) => `[${section}]\n${directives(lines, "=")}`)
    .join("\n");
}
