// Shell run over SSH by components/deployment.ts. A change is staged file by
// file, then applied all at once: the previous files are kept, and when the
// stack does not come back healthy they are put back and restarted, so a bad
// change leaves the last good one running — and stays staged, so the next
// `up` tries it again instead of reporting success on the old files.
import { SERVICE_NAMES } from "./compose";
import type { HostFile } from "./files";
import { INSTALL_DIR, PORTS } from "./model";
import { composeWith, planRestartsScript, pullImagesScript, restartServicesScript } from "./restarts";
import { UNIT_NAME } from "./systemd";
import { guardWhenToursNotice, tourGuardScript, type TourGuardOptions } from "./tourGuard";

export const STAGING_DIR = `${INSTALL_DIR}/.staged`;
export const PREVIOUS_DIR = `${INSTALL_DIR}/.previous`;

const COMPOSE_PS = `docker compose --project-directory ${INSTALL_DIR} -f ${INSTALL_DIR}/docker-compose.yaml ps --status running --services`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Waits for first boot to finish, so SSH never races cloud-init's own writes. */
const WAIT_FOR_FIRST_BOOT = "cloud-init status --wait >/dev/null 2>&1 || test -f /var/lib/cloud/instance/boot-finished";

/** A file as this deployment intends it: where it goes and the sha256 of its content. */
export interface IntendedFile extends Pick<HostFile, "name" | "path" | "services"> {
  readonly sha256: string;
}

export interface ApplyOptions {
  /** How long the stack has to come back healthy before the old files are put back. */
  readonly healthSeconds?: number;
  readonly healthUrl?: string;
  readonly stagingDir?: string;
  readonly previousDir?: string;
  /** What to do when LiveKit rooms have people in them (templates/tourGuard.ts); refuse when absent. */
  readonly tourGuard?: TourGuardOptions;
}

/** Reads the file's content on stdin and stages it with its final owner and mode. */
export function stageFileScript(
  file: Pick<HostFile, "name" | "mode" | "uid" | "gid">,
  stagingDir: string = STAGING_DIR,
): string {
  const staged = `${stagingDir}/${file.name}`;
  return [
    "set -eu",
    WAIT_FOR_FIRST_BOOT,
    `install -d -m 0700 ${quote(stagingDir)}`,
    `tmp=$(mktemp ${quote(stagingDir)}/.incoming.XXXXXX)`,
    `cat > "$tmp"`,
    `chown ${file.uid}:${file.gid} "$tmp" && chmod ${file.mode} "$tmp"`,
    `mv -f "$tmp" ${quote(staged)}`,
  ].join("\n");
}

/**
 * Installs the intended files, restarts the services that read a changed one
 * (templates/restarts.ts) after pulling their images, and puts the previous
 * files back, restarting the same services, if it is not healthy in time. Each file must be on the host as intended
 * (staged, or already live) before anything is touched; staged copies are
 * removed only once the stack is healthy, so after a failed health check the
 * next run applies the same intended files again rather than restarting on
 * the old ones and reporting success.
 */
export function applyScript(files: readonly IntendedFile[], options: ApplyOptions = {}): string {
  const stagingDir = options.stagingDir ?? STAGING_DIR;
  const previousDir = options.previousDir ?? PREVIOUS_DIR;
  const healthUrl = options.healthUrl ?? `http://127.0.0.1:${PORTS.livekitHttp}/`;
  const each = <T>(line: (f: IntendedFile, staged: string, live: string, backup: string) => T) =>
    files.map((f) => line(f, quote(`${stagingDir}/${f.name}`), quote(f.path), quote(`${previousDir}/${f.name}`)));
  return [
    "set -eu",
    WAIT_FOR_FIRST_BOOT,
    `install -d -m 0700 ${quote(stagingDir)} ${quote(previousDir)}`,
    'digest() { if [ -f "$1" ]; then sha256sum "$1" | cut -d " " -f 1; else echo absent; fi; }',
    "missing=0",
    // name staged live sha256: the file is usable when its staged copy or the live file is the intended one.
    "intended() {",
    '  if [ "$(digest "$2")" = "$4" ] || [ "$(digest "$3")" = "$4" ]; then return 0; fi',
    '  echo "$1: neither a staged copy nor $3 on the host has the content this deployment intends (sha256 $4)." >&2',
    '  echo "  Its staging step did not leave it here; re-run it: pulumi up --replace <URN of the $1 staging command> (pulumi stack --show-urns lists it)." >&2',
    "  missing=1",
    "}",
    ...each((f, staged, live) => `intended ${quote(f.name)} ${staged} ${live} ${f.sha256}`),
    'if [ "$missing" -ne 0 ]; then echo "nothing was changed on the host" >&2; exit 1; fi',
    // Before anything changes: which services the change restarts, and their new images.
    ...planRestartsScript(each((f, staged, live) => ({ ...f, staged, live }))),
    'if [ "$files_changed" -eq 0 ]; then',
    ...each((_, staged) => `  rm -f ${staged}`),
    "  echo 'every file on the host is already the intended one: nothing restarted'",
    "  exit 0",
    "fi",
    // services_to_restart is known and nothing has changed yet: ask who is on air, if a tour would notice.
    tourGuardScript(options.tourGuard ?? { mode: "refuse", waitSeconds: 0 }),
    guardWhenToursNotice(),
    ...pullImagesScript(),
    ...each((f, staged, live, backup) =>
      [
        `if [ -f ${live} ]; then cp -p ${live} ${backup}; else rm -f ${backup}; fi`,
        // A copy, not a move: the staged file stays until the stack is healthy on it.
        `if [ "$(digest ${staged})" = ${f.sha256} ]; then install -d "$(dirname ${live})"; cp -p ${staged} ${live}.incoming; mv -f ${live}.incoming ${live}; fi`,
      ].join("\n"),
    ),
    ...healthCheck(healthUrl, options.healthSeconds ?? 120),
    ...restartServicesScript(),
    "if healthy; then",
    ...each(
      (f, _, live) =>
        `  [ "$(digest ${live})" = ${f.sha256} ] || { echo ${quote(`${f.path} changed under the deployment`)} >&2; exit 1; }`,
    ),
    ...each((_, staged) => `  rm -f ${staged}`),
    "  echo 'livekit stack healthy on the intended files'",
    "  exit 0",
    "fi",
    "echo 'livekit stack unhealthy after the change; restoring the previous files' >&2",
    'if [ "$services_to_restart" = all ]; then',
    `  journalctl -u ${UNIT_NAME} -n 40 --no-pager >&2 || true`,
    "else",
    `  ${composeWith(`${INSTALL_DIR}/docker-compose.yaml`)} logs --no-color --tail 40 $services_to_restart >&2 || true`,
    "fi",
    ...each((_, __, live, backup) => `if [ -f ${backup} ]; then cp -p ${backup} ${live}; fi`),
    // The same services again: the previous files differ from the new ones in exactly those.
    ...restartServicesScript(),
    "echo 'the intended files stay staged: the next pulumi up applies them again (fix or revert the change)' >&2",
    "exit 1",
  ].join("\n");
}

function healthCheck(url: string, seconds: number): string[] {
  return [
    "healthy() {",
    `  for _ in $(seq 1 ${Math.max(1, Math.ceil(seconds / 2))}); do`,
    `    if curl -fsS --max-time 2 ${quote(url)} >/dev/null 2>&1 \\`,
    `       && [ "$(${COMPOSE_PS} | wc -l)" -eq ${SERVICE_NAMES.length} ]; then return 0; fi`,
    "    sleep 2",
    "  done",
    "  return 1",
    "}",
  ];
}

export interface ReachabilityOptions {
  readonly port?: number;
  readonly attempts: number;
  /** Each connection attempt gives up after this long (a firewall drops, it does not refuse). */
  readonly connectSeconds: number;
  readonly pauseSeconds: number;
}

/** A few tries over about two minutes: long enough for a new server's sshd, short enough to fail fast. */
export const DEPLOY_REACHABILITY: ReachabilityOptions = { attempts: 12, connectSeconds: 5, pauseSeconds: 5 };

export const UNREACHABLE_HINT =
  "22/tcp not reachable from this runner's address; is it in operatorCidrs / did the workflow open the deploy rule?";

/**
 * Run by bash on the machine running `pulumi up`, before any SSH step: waits,
 * within a bound, for the host (ROAMCAST_DEPLOY_HOST) to accept TCP on the SSH
 * port, and otherwise fails with what to check — instead of the SSH steps'
 * own dial errors.
 */
export function sshReachableScript(options: ReachabilityOptions = DEPLOY_REACHABILITY): string {
  const { port = 22, attempts, connectSeconds, pauseSeconds } = options;
  const bound = attempts * (connectSeconds + pauseSeconds);
  return [
    "set -u",
    'host="$ROAMCAST_DEPLOY_HOST"',
    // bash's /dev/tcp with a watchdog: no coreutils `timeout` (macOS lacks it), no nc.
    "answers() {",
    `  ( exec 3<>"/dev/tcp/$host/${port}" ) 2>/dev/null &`,
    "  local probe=$!",
    `  ( sleep ${connectSeconds}; kill "$probe" ) >/dev/null 2>&1 &`,
    "  local watchdog=$!",
    '  if wait "$probe"; then kill "$watchdog" 2>/dev/null; return 0; fi',
    '  kill "$watchdog" 2>/dev/null',
    "  return 1",
    "}",
    `for attempt in $(seq 1 ${attempts}); do`,
    "  if answers; then",
    `    echo "$host:${port} answers"`,
    "    exit 0",
    "  fi",
    `  if [ "$attempt" -lt ${attempts} ]; then sleep ${pauseSeconds}; fi`,
    "done",
    `echo "$host: ${UNREACHABLE_HINT.replace("22/tcp", `${port}/tcp`)} (${attempts} tries over ${bound} s)" >&2`,
    "exit 1",
  ].join("\n");
}

/** Replaces root's authorized_keys, so operator keys change without replacing the server. */
export function authorizedKeysScript(): string {
  return [
    "set -eu",
    WAIT_FOR_FIRST_BOOT,
    "install -d -m 0700 /root/.ssh",
    "tmp=$(mktemp /root/.ssh/.authorized_keys.XXXXXX)",
    `cat > "$tmp"`,
    `chmod 0600 "$tmp"`,
    // Never install a list without a key in it: that would lock everyone out.
    `grep -q '^ssh-' "$tmp" || { echo 'refusing an empty authorized_keys' >&2; rm -f "$tmp"; exit 1; }`,
    `mv -f "$tmp" /root/.ssh/authorized_keys`,
  ].join("\n");
}
