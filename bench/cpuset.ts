// LiveKit alone on one core: two cgroup v1 cpusets under this machine's
// cpuset hierarchy, one holding only core 0 for livekit-server, one holding
// core 1 for everything else the bench starts (this Node process — and so
// every child it spawns afterwards: PostgreSQL, Deno, Redis, the Go crowd and
// guides — and the rtc-node clients' threads). No CPU quota: LiveKit may use
// all of its core, and is never throttled in 100 ms slices. Processes of
// other users of the machine are not moved; the bench reports how busy each
// core was beside what it measured.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";

export const LIVEKIT_CORE = 0;
export const GENERATOR_CORE = 1;

const CPUSET_ROOT = "/sys/fs/cgroup/cpuset";

export interface CoreIsolation {
  /** argv that runs `command` inside LiveKit's cpuset from its first instruction. */
  onLivekitCore(command: string, args: readonly string[]): [string, string[]];
  /** Moves this process back to the root cpuset and removes the two cpusets. */
  release(): void;
}

function write(dir: string, file: string, value: string | number): void {
  writeFileSync(`${dir}/${file}`, String(value));
}

function makeCpuset(dir: string, cpus: string, mems: string): void {
  mkdirSync(dir);
  // A cpuset takes no task until both its CPUs and its memory nodes are set.
  write(dir, "cpuset.cpus", cpus);
  write(dir, "cpuset.mems", mems);
}

export function isolateCores(): CoreIsolation {
  if (!existsSync(`${CPUSET_ROOT}/cpuset.cpus`)) {
    throw new Error(
      `no cgroup v1 cpuset controller at ${CPUSET_ROOT} (see \`mount | grep cgroup\`); the capacity benchmark needs it to give LiveKit a core of its own`,
    );
  }
  const cpus = readFileSync(`${CPUSET_ROOT}/cpuset.effective_cpus`, "utf8").trim();
  if (!/^0-([1-9]\d*)$/.test(cpus) && cpus !== "0,1")
    throw new Error(`the capacity benchmark needs cores 0 and 1, this machine's cpuset offers "${cpus}"`);
  const mems = readFileSync(`${CPUSET_ROOT}/cpuset.effective_mems`, "utf8").trim();
  const dir = `${CPUSET_ROOT}/roamcast-bench-${process.pid}`;
  makeCpuset(dir, cpus, mems);
  makeCpuset(`${dir}/livekit`, String(LIVEKIT_CORE), mems);
  makeCpuset(`${dir}/generator`, String(GENERATOR_CORE), mems);
  // Every thread of this process moves; children spawned from now on start here.
  write(`${dir}/generator`, "cgroup.procs", process.pid);
  const livekitProcs = `${dir}/livekit/cgroup.procs`;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const child of ["livekit", "generator"]) {
      const left = readFileSync(`${dir}/${child}/cgroup.procs`, "utf8").split("\n").filter(Boolean);
      for (const pid of left) {
        try {
          write(CPUSET_ROOT, "cgroup.procs", pid);
        } catch {
          /* exited meanwhile */
        }
      }
      rmdirSync(`${dir}/${child}`);
    }
    rmdirSync(dir);
  };
  // A bench ended by a signal (the local processes' reaper exits on SIGTERM) leaves no cpuset behind.
  process.once("exit", () => {
    try {
      release();
    } catch {
      /* best effort: a child the kernel has not reaped yet keeps its cpuset busy */
    }
  });
  return {
    onLivekitCore: (command, args) => [
      "sh",
      // The shell moves itself, then becomes the program: its Go runtime sees one core from the start.
      ["-c", 'echo $$ > "$0" && exec "$@"', livekitProcs, command, ...args],
    ],
    release,
  };
}
