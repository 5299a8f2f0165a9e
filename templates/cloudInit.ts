// cloud-init.yaml: first boot only. Installs Docker from Ubuntu's archive,
// writes the host files, tunes UDP buffers and starts the stack. Later
// changes reach the host over SSH (components/deployment.ts), because a
// change of user data would replace the server.
import type { HostFile } from "./files";
import { UNIT_NAME } from "./systemd";
import { directives } from "./yaml";
import { toYaml } from "./yaml";

/** Hetzner refuses user data above 32 KiB. */
export const USER_DATA_LIMIT_BYTES = 32 * 1024;

export const SYSCTL_PATH = "/etc/sysctl.d/60-livekit-udp.conf";

/** LiveKit asks for large UDP socket buffers (livekit#3203); pion warns below them. */
export function udpSysctls(): string {
  return directives([
    ["net.core.rmem_max", "=", 5000000],
    ["net.core.wmem_max", "=", 5000000],
  ]);
}

/** Container logs rotate, so a season of tours cannot fill the disk. */
export function dockerDaemonJson(): string {
  return JSON.stringify({ "log-driver": "local", "log-opts": { "max-size": "20m", "max-file": "5" } }, null, 2) + "\n";
}

export function cloudInitConfig(files: readonly HostFile[]): Record<string, unknown> {
  const owned = files.filter((f) => f.uid !== 0 || f.gid !== 0);
  return {
    package_update: true,
    packages: ["docker.io", "docker-compose-v2"],
    write_files: [
      ...files.map((f) => ({ path: f.path, permissions: f.mode, owner: "root:root", content: f.content })),
      { path: SYSCTL_PATH, permissions: "0644", owner: "root:root", content: udpSysctls() },
      { path: "/etc/docker/daemon.json", permissions: "0644", owner: "root:root", content: dockerDaemonJson() },
    ],
    runcmd: [
      ["sysctl", "--system"],
      // write_files only knows user names; these owners exist inside containers only.
      ...owned.map((f) => ["chown", `${f.uid}:${f.gid}`, f.path]),
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "docker.service"],
      ["systemctl", "enable", "--now", UNIT_NAME],
    ],
  };
}

export function renderCloudInit(files: readonly HostFile[]): string {
  const text = toYaml(cloudInitConfig(files), { version: "1.1", header: "#cloud-config" });
  const size = Buffer.byteLength(text, "utf8");
  if (size > USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `cloud-init.yaml is ${size} bytes, above Hetzner's user data limit of ${USER_DATA_LIMIT_BYTES}; move content out of first-boot files`,
    );
  }
  return text;
}
