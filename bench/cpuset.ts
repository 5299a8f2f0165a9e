// LiveKit alone on one core: two cgroup v1 cpusets under this machine's
// cpuset hierarchy, one holding only core 0 for livekit-server, one holding
// core 1 for everything else the bench starts (this Node process — and so
// every child it spawns afterwards: PostgreSQL, Deno, Redis, the Go crowd and
// guides — and the rtc-node clients' threads). No CPU quota: LiveKit may use
// all of its core, and is never throttled in 100 ms slices. Processes of
// other users of the machine are not moved; the bench reports how busy each
// core was beside what it measured.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";

export const LIVEKIT_CORE = 0;
export const GENERATOR_CORE = 1;

const CPUSET_ROOT = "/sys/fs/cgroup/cpuset";
const BENCH_CPUSET = /^roamcast-bench-([1-9]\d*)$/;

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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "?";
  }
}

/** Moves every task of `dir` and of the cpusets below it to `parent`, then removes them, deepest first. */
function removeCpuset(dir: string, parent: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeCpuset(`${dir}/${entry.name}`, parent);
  const pids = readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n").filter(Boolean);
  for (const pid of pids) {
    try {
      write(parent, "cgroup.procs", pid);
    } catch {
      /* exited meanwhile */
    }
  }
  try {
    rmdirSync(dir);
  } catch (error) {
    throw new Error(
      `cannot remove the stale cpuset ${dir} (${(error as Error).message}); ` +
        `see \`cat ${dir}/tasks\` for what still runs in it, end it, then \`rmdir ${dir}\``,
    );
  }
}

/**
 * Removes the cpusets `roamcast-bench-<pid>` under `parent` that a bench
 * ended by a signal left behind (its pid no longer runs): their tasks go back
 * to `parent`. Refuses, after that, if a bench whose pid still runs holds one:
 * two benches on one core measure nothing. Returns the cpusets it removed.
 */
export function sweepStaleBenchCpusets(parent: string = CPUSET_ROOT): string[] {
  const removed: string[] = [];
  const running: number[] = [];
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const match = BENCH_CPUSET.exec(entry.name);
    if (!entry.isDirectory() || !match) continue;
    const pid = Number(match[1]);
    // This process's own pid can only be a dead bench's, reused: isolateCores runs once per bench.
    if (pid !== process.pid && isRunning(pid)) {
      running.push(pid);
      continue;
    }
    removeCpuset(`${parent}/${entry.name}`, parent);
    removed.push(`${parent}/${entry.name}`);
  }
  if (running.length > 0) {
    const who = running.map((pid) => `pid ${pid} (${commandLine(pid)})`).join(", ");
    throw new Error(
      `another capacity benchmark holds LiveKit's core: ${who} still runs with its cpuset under ${parent}; ` +
        `two benches on one core measure nothing — wait for it to end or stop it (\`kill ${running[0]}\`), then start again`,
    );
  }
  return removed;
}

export function isolateCores(): CoreIsolation {
  if (!existsSync(`${CPUSET_ROOT}/cpuset.cpus`)) {
    throw new Error(
      `no cgroup v1 cpuset controller at ${CPUSET_ROOT} (see \`mount | grep cgroup\`); the capacity benchmark needs it to give LiveKit a core of its own`,
    );
  }
  sweepStaleBenchCpusets();
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
