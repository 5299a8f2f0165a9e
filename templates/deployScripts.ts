// Shell run over SSH by components/deployment.ts. A change is staged file by
// file, then applied all at once: the previous files are kept, and when the
// stack does not come back healthy they are put back and restarted, so a bad
// change leaves the last good one running.
import { SERVICE_NAMES } from "./compose";
import type { HostFile } from "./files";
import { INSTALL_DIR, PORTS } from "./model";
import { UNIT_NAME } from "./systemd";

export const STAGING_DIR = `${INSTALL_DIR}/.staged`;
export const PREVIOUS_DIR = `${INSTALL_DIR}/.previous`;

const SERVICES = SERVICE_NAMES;
const COMPOSE_PS = `docker compose --project-directory ${INSTALL_DIR} -f ${INSTALL_DIR}/docker-compose.yaml ps --status running --services`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Waits for first boot to finish, so SSH never races cloud-init's own writes. */
const WAIT_FOR_FIRST_BOOT = "cloud-init status --wait >/dev/null 2>&1 || test -f /var/lib/cloud/instance/boot-finished";

/** Reads the file's content on stdin and stages it with its final owner and mode. */
export function stageFileScript(file: Pick<HostFile, "name" | "mode" | "uid" | "gid">): string {
  const staged = `${STAGING_DIR}/${file.name}`;
  return [
    "set -eu",
    WAIT_FOR_FIRST_BOOT,
    `install -d -m 0700 ${STAGING_DIR}`,
    `tmp=$(mktemp ${STAGING_DIR}/.incoming.XXXXXX)`,
    `cat > "$tmp"`,
    `chown ${file.uid}:${file.gid} "$tmp" && chmod ${file.mode} "$tmp"`,
    `mv -f "$tmp" ${quote(staged)}`,
  ].join("\n");
}

/** Installs the staged files, restarts the stack, and rolls back if it is not healthy in time. */
export function applyScript(files: readonly Pick<HostFile, "name" | "path">[], healthSeconds = 120): string {
  const moves = files.map((f) => ({
    staged: `${STAGING_DIR}/${f.name}`,
    live: f.path,
    backup: `${PREVIOUS_DIR}/${f.name}`,
  }));
  return [
    "set -eu",
    WAIT_FOR_FIRST_BOOT,
    `install -d -m 0700 ${PREVIOUS_DIR}`,
    ...moves.map((m) => `if [ -f ${quote(m.live)} ]; then cp -p ${quote(m.live)} ${quote(m.backup)}; fi`),
    ...moves.map((m) => `if [ -f ${quote(m.staged)} ]; then mv -f ${quote(m.staged)} ${quote(m.live)}; fi`),
    "healthy() {",
    `  for _ in $(seq 1 ${Math.ceil(healthSeconds / 2)}); do`,
    `    if curl -fsS --max-time 2 http://127.0.0.1:${PORTS.livekitHttp}/ >/dev/null 2>&1 \\`,
    `       && [ "$(${COMPOSE_PS} | wc -l)" -eq ${SERVICES.length} ]; then return 0; fi`,
    "    sleep 2",
    "  done",
    "  return 1",
    "}",
    "systemctl daemon-reload",
    `systemctl enable ${UNIT_NAME} >/dev/null`,
    `systemctl restart ${UNIT_NAME}`,
    "if healthy; then echo 'livekit stack healthy'; exit 0; fi",
    `echo 'livekit stack unhealthy after the change; restoring the previous files' >&2`,
    `journalctl -u ${UNIT_NAME} -n 40 --no-pager >&2 || true`,
    ...moves.map((m) => `if [ -f ${quote(m.backup)} ]; then cp -p ${quote(m.backup)} ${quote(m.live)}; fi`),
    "systemctl daemon-reload",
    `systemctl restart ${UNIT_NAME}`,
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
