// A temporary folder standing in for the LiveKit host, on which the deploy
// scripts run for real under bash. Only the container runtime and the
// service manager are stand-ins (stub `docker`, `systemctl`, `journalctl` and
// `cloud-init` on PATH), and each logs its arguments:
// - the stub runtime refuses a livekit.yaml containing "BROKEN", as LiveKit
//   refuses a config it cannot parse (its container is then not running);
// - `docker compose config --hash '*'` prints, per service, a hash of the
//   compose file's lines that start with "<service>:", standing in for
//   compose's per-service config hash: test compose files hold one line per
//   service, so a change to one line changes that service's hash alone;
// - `docker compose pull` fails while the host's `registry-down` file exists;
// - `systemctl is-active` fails while the host's `unit-inactive` file exists.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { HOST_FILE_LAYOUT, type HostFileLayout, type HostFileName } from "../../templates";
import { SERVICE_NAMES } from "../../templates/compose";
import { applyScript, stageFileScript } from "../../templates/deployScripts";
import type { TourGuardOptions } from "../../templates/tourGuard";
import { tempDir } from "../../local/temp";

const DOCKER_STUB = `
echo "$*" >> "$FAKE_HOST/docker.log"
file=""; prev=""
for arg in "$@"; do [ "$prev" = "-f" ] && file="$arg"; prev="$arg"; done
[ -f "$FAKE_HOST$file" ] && file="$FAKE_HOST$file"
defined() { grep -o '^[a-z][a-z0-9-]*:' "$file" | tr -d ':'; }
case " $* " in
  *" config --hash "*)
    [ -f "$file" ] || { echo "stub compose: no $file" >&2; exit 1; }
    for s in $(defined); do printf '%s %s\\n' "$s" "$(grep "^$s:" "$file" | sha256sum | cut -c 1-16)"; done ;;
  *" config --services "*) defined ;;
  *" pull "*)
    if [ -f "$FAKE_HOST/registry-down" ]; then echo "stub registry: unreachable" >&2; exit 1; fi ;;
  *" ps "*)
    grep -q BROKEN "$FAKE_HOST/opt/livekit/livekit.yaml" 2>/dev/null || printf '%s\\n' ${SERVICE_NAMES.join(" ")} ;;
esac
exit 0`;

const STUBS: Record<string, string> = {
  "cloud-init": "exit 0",
  journalctl: "echo 'stub journal' ; exit 0",
  systemctl: `echo "$*" >> "$FAKE_HOST/systemctl.log"\ncase "$1" in is-active) [ ! -f "$FAKE_HOST/unit-inactive" ] ;; esac`,
  docker: DOCKER_STUB,
};

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface FakeHost {
  readonly root: string;
  readonly files: (Pick<HostFileLayout, "name" | "mode" | "services"> & { path: string; uid: number; gid: number })[];
  readonly staging: string;
  readonly previous: string;
}

export function fakeHost(): FakeHost {
  const root = tempDir();
  const bin = join(root, "bin");
  mkdirSync(bin);
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true }); // as on any Ubuntu host
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const files = HOST_FILE_LAYOUT.map((f) => ({
    name: f.name,
    path: join(root, f.path),
    mode: f.mode,
    services: f.services,
    uid: process.getuid!(),
    gid: process.getgid!(),
  }));
  return { root, files, staging: join(root, "opt/livekit/.staged"), previous: join(root, "opt/livekit/.previous") };
}

export async function runOnHost(host: FakeHost, script: string, stdin = "") {
  const child = spawn("bash", ["--norc", "--noprofile", "-c", script], {
    env: { PATH: `${join(host.root, "bin")}:${process.env.PATH}`, FAKE_HOST: host.root },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(stdin);
  const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { status, stdout, stderr };
}

/** One `pulumi up` as the deployment runs it: stage the files whose content changed, then apply. */
export function deployment(
  host: FakeHost,
  contents: Record<string, string>,
  healthUrl: string,
  tourGuard?: TourGuardOptions,
) {
  const intended = host.files.map((f) => ({ ...f, sha256: sha256(contents[f.name]!) }));
  const apply = applyScript(intended, {
    healthSeconds: 2,
    healthUrl,
    stagingDir: host.staging,
    previousDir: host.previous,
    tourGuard,
  });
  return {
    stage: async (names: readonly string[]) => {
      for (const f of host.files.filter((file) => names.includes(file.name))) {
        const result = await runOnHost(host, stageFileScript(f, host.staging), contents[f.name]);
        expect(result.status, result.stderr).toBe(0);
      }
    },
    apply: () => runOnHost(host, apply),
  };
}

export const live = (host: FakeHost, name: HostFileName) =>
  readFileSync(host.files.find((f) => f.name === name)!.path, "utf8");

const logLines = (host: FakeHost, log: string) =>
  existsSync(join(host.root, log)) ? readFileSync(join(host.root, log), "utf8").split("\n").filter(Boolean) : [];

/** Whole-stack restarts through systemd. */
export const restarts = (host: FakeHost) =>
  logLines(host, "systemctl.log").filter((l) => l.startsWith("restart")).length;

/** What the stub runtime was asked to do, one entry per call, ignoring the health check's `ps`. */
export function composeActions(host: FakeHost): string[] {
  const actions: string[] = [];
  for (const line of logLines(host, "docker.log")) {
    const words = line.split(" ");
    const pull = words.indexOf("pull");
    const up = words.indexOf("up");
    if (pull >= 0)
      actions.push(["pull", ...words.slice(pull + 1).filter((w) => !w.startsWith("-") && w !== "missing")].join(" "));
    else if (up >= 0) {
      const recreate = words.indexOf("--force-recreate");
      actions.push(recreate >= 0 ? ["recreate", ...words.slice(recreate + 1)].join(" ") : words.slice(up).join(" "));
    }
  }
  return actions;
}

/** Forgets what the stubs logged so far. */
export function clearLogs(host: FakeHost): void {
  for (const log of ["docker.log", "systemctl.log"]) writeFileSync(join(host.root, log), "");
}
