// cloud-init.yaml: first boot only. Installs Docker from Ubuntu's archive and
// tunes UDP buffers, nothing else. User data is served to any process on the
// host by Hetzner's metadata service (LiveKit runs with host networking), so
// no host file and no secret is in it: the deployment writes every file and
// starts the stack over SSH (components/deployment.ts). It is also the same
// for every stack, and a change of user data would replace the server.
import { directives, toYaml } from "./yaml";

/** Hetzner refuses user data above 32 KiB. */
export const USER_DATA_LIMIT_BYTES = 32 * 1024;

export const SYSCTL_PATH = "/etc/sysctl.d/60-livekit-udp.conf";

/**
 * The most a socket may ask for. LiveKit warns below 5 MB (livekit#3203), and its UDP mux asks 16 MiB for each
 * of its sockets (mediatransportutil rtcconfig's defaultUDPBufferSize): every listener's packets on a vCPU pass
 * through one of them, so a burst must not overflow a buffer the kernel clamped to a smaller maximum.
 */
export const UDP_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

export function udpSysctls(): string {
  return directives([
    ["net.core.rmem_max", "=", UDP_BUFFER_MAX_BYTES],
    ["net.core.wmem_max", "=", UDP_BUFFER_MAX_BYTES],
  ]);
}

/** Container logs rotate, so a season of tours cannot fill the disk. */
export function dockerDaemonJson(): string {
  return JSON.stringify({ "log-driver": "local", "log-opts": { "max-size": "20m", "max-file": "5" } }, null, 2) + "\n";
}

export function cloudInitConfig(): Record<string, unknown> {
  return {
    package_update: true,
    packages: ["docker.io", "docker-compose-v2"],
    write_files: [
      { path: SYSCTL_PATH, permissions: "0644", owner: "root:root", content: udpSysctls() },
      { path: "/etc/docker/daemon.json", permissions: "0644", owner: "root:root", content: dockerDaemonJson() },
    ],
    runcmd: [
      ["sysctl", "--system"],
      ["systemctl", "enable", "--now", "docker.service"],
    ],
  };
}

export function renderCloudInit(): string {
  const text = toYaml(cloudInitConfig(), { version: "1.1", header: "#cloud-config" });
  const size = Buffer.byteLength(text, "utf8");
  if (size > USER_DATA_LIMIT_BYTES) {
    throw new Error(`cloud-init.yaml is ${size} bytes, above Hetzner's user data limit of ${USER_DATA_LIMIT_BYTES}`);
  }
  return text;
}
