// livekit-docker.service: runs the compose stack from the install folder.
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
      ["Type", "simple"],
      ["WorkingDirectory", INSTALL_DIR],
      // Clear containers left by a crash before starting afresh.
      ["ExecStartPre", `${COMPOSE} down`],
      ["ExecStart", `${COMPOSE} up --remove-orphans`],
      ["ExecStop", `${COMPOSE} down`],
      ["Restart", "on-failure"],
      ["RestartSec", "5s"],
      // compose's own stop_grace_period (30 s) plus time to tear down.
      ["TimeoutStopSec", "90s"],
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
