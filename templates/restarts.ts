// Which containers a change restarts, and restarting only those. A file's
// layout names the compose services that read it (templates/files.ts); the
// apply script compares each live file with the intended one before touching
// anything and sets `services_to_restart` (space-separated service names, or
// `all`): a changed livekit.yaml restarts livekit, a Redis password change
// (redis.conf and livekit.yaml) restarts redis and livekit, never caddy. A
// changed compose file restarts the services whose definition changed: the
// same per-service config hash `docker compose up -d` compares to decide
// what to recreate (`docker compose config --hash '*'`, which leaves out
// depends_on, so a dependent is not recreated with its dependency). A changed
// unit, or a stack that is not running, restarts everything through systemd.
import { CHANGED_DEFINITIONS, type HostFile, WHOLE_STACK } from "./files";
import { INSTALL_DIR } from "./model";
import { UNIT_NAME } from "./systemd";

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** docker compose against the install folder, with the given compose file (relative paths resolve alike). */
export const composeWith = (file: string) => `docker compose --project-directory ${INSTALL_DIR} -f ${file}`;
const LIVE_COMPOSE = composeWith(`${INSTALL_DIR}/docker-compose.yaml`);

export interface ChangingFile extends Pick<HostFile, "name" | "services"> {
  readonly sha256: string;
  /** Quoted shell words: the staged copy and the live path. */
  readonly staged: string;
  readonly live: string;
}

/** Shell functions the plan and the restarts use; needs `digest` defined before. */
function helpers(): string[] {
  return [
    "services_to_restart=''",
    "files_changed=0",
    "whole_stack=0",
    'restart_service() { case " $services_to_restart " in *" $1 "*) ;; *) services_to_restart="${services_to_restart:+$services_to_restart }$1" ;; esac; }',
    // "service hash" lines, sorted; a file compose cannot read fails the plan.
    `definition_hashes() { hashes=$(${composeWith('"$1"')} config --hash '*') || return 1; printf "%s\\n" "$hashes" | sort; }`,
    "changed_definitions() {",
    "  old_hashes=''",
    '  if [ -f "$1" ]; then old_hashes=$(definition_hashes "$1") || whole_stack=1; else whole_stack=1; fi',
    '  if ! new_hashes=$(definition_hashes "$2"); then',
    '    echo "docker compose cannot read the intended compose file; nothing was changed on the host" >&2; exit 1',
    "  fi",
    // Some compose releases print nothing for --hash '*' (docker/compose#11145): restart all rather than nothing.
    '  if [ -z "$new_hashes" ]; then whole_stack=1; return 0; fi',
    '  for service in $(printf "%s\\n" "$new_hashes" | cut -d " " -f 1); do',
    '    line=$(printf "%s\\n" "$new_hashes" | grep -m 1 "^$service ")',
    '    printf "%s\\n" "$old_hashes" | grep -qxF "$line" || restart_service "$service"',
    "  done",
    "}",
  ];
}

/**
 * Sets `services_to_restart`, `files_changed` (1 when any live file differs
 * from the intended one; a change read by no service, such as a comment in
 * the compose file, is installed without a restart) and `intended_compose`
 * (the compose file the change runs on: its staged copy, or the live one)
 * without changing anything.
 */
export function planRestartsScript(files: readonly ChangingFile[]): string[] {
  const compose = files.find((f) => f.services.includes(CHANGED_DEFINITIONS));
  const intendedCompose = compose
    ? `if [ "$(digest ${compose.staged})" = ${compose.sha256} ]; then intended_compose=${compose.staged}; else intended_compose=${compose.live}; fi`
    : `intended_compose=${quote(`${INSTALL_DIR}/docker-compose.yaml`)}`;
  const perFile = files.map((f) => {
    const reasons = f.services.map((service) =>
      service === WHOLE_STACK
        ? "whole_stack=1"
        : service === CHANGED_DEFINITIONS
          ? `changed_definitions ${f.live} "$intended_compose"`
          : `restart_service ${quote(service)}`,
    );
    return `if [ "$(digest ${f.live})" != ${f.sha256} ]; then files_changed=1; ${reasons.join("; ")}; fi`;
  });
  return [
    ...helpers(),
    intendedCompose,
    ...perFile,
    // Stopped or never started: only the unit brings every service up.
    `if [ -n "$services_to_restart" ] && ! systemctl is-active --quiet ${UNIT_NAME}; then whole_stack=1; fi`,
    'if [ "$whole_stack" -eq 1 ]; then services_to_restart=all; fi',
    'echo "services to restart: ${services_to_restart:-none}"',
  ];
}

/**
 * Pulls the images the restart needs while the old containers still serve.
 * Images are pinned, so `--policy missing` fetches exactly the new ones and
 * asks no registry when nothing is new.
 */
export function pullImagesScript(): string[] {
  return [
    'if [ -n "$services_to_restart" ]; then',
    '  if [ "$services_to_restart" = all ]; then pull_targets=""; else pull_targets=$services_to_restart; fi',
    `  if ! ${composeWith('"$intended_compose"')} pull --quiet --policy missing $pull_targets; then`,
    '    echo "could not pull the images of: $services_to_restart; nothing was changed on the host, the running stack keeps its images" >&2',
    "    exit 1",
    "  fi",
    "fi",
  ];
}

/**
 * Restarts what the plan named, on the files now live: systemd for `all`,
 * else only those containers (recreated, so a file replaced on the host is
 * mounted afresh; --no-deps leaves their dependencies running). Services the
 * live compose file no longer defines (a rollback past a new service) are
 * skipped and removed as orphans. Never fails the script: health decides.
 */
export function restartServicesScript(indent = ""): string[] {
  return [
    'if [ "$services_to_restart" = all ]; then',
    "  systemctl daemon-reload",
    `  systemctl enable ${UNIT_NAME} >/dev/null`,
    `  systemctl restart ${UNIT_NAME} || echo '${UNIT_NAME} did not start' >&2`,
    'elif [ -n "$services_to_restart" ]; then',
    `  defined=" $(${LIVE_COMPOSE} config --services | tr '\\n' ' ') " || true`,
    "  targets=''",
    '  for service in $services_to_restart; do case "$defined" in *" $service "*) targets="$targets $service" ;; esac; done',
    // With no target left, recreate nothing: only remove the orphans.
    '  if [ -n "$targets" ]; then recreate="--no-deps --force-recreate$targets"; else recreate="--no-recreate"; fi',
    `  ${LIVE_COMPOSE} up -d --remove-orphans $recreate || echo "restarting$targets failed" >&2`,
    "fi",
  ].map((line) => indent + line);
}
