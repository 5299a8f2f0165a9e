// The bench's own processes: the Go crowd of listeners on the generator's
// core, and the cgroup CPU quota that gives LiveKit a share of its core.
import { spawn } from "node:child_process";
import { mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { goTool } from "../local/processes";

export const LIVEKIT_CORE = "0";
export const GENERATOR_CORE = "1";

interface LoadgenReport {
  connected: number;
  failed: number;
  subscribed: number;
  packets: number;
  bytes: number;
  silent: number;
}

/** The Go listener crowd, on the generator's core; joins arrive as JSON lines. */
export function startLoadgen() {
  const child = spawn("taskset", ["-c", GENERATOR_CORE, goTool("loadgen")], { stdio: ["pipe", "pipe", "inherit"] });
  let latest: LoadgenReport = { connected: 0, failed: 0, subscribed: 0, packets: 0, bytes: 0, silent: 0 };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    latest = JSON.parse(line) as LoadgenReport;
  });
  return {
    pid: () => child.pid!,
    join: (id: string, url: string, token: string) => child.stdin!.write(`${JSON.stringify({ id, url, token })}\n`),
    latest: () => latest,
    async stop() {
      child.stdin!.end();
      await new Promise((r) => {
        child.once("exit", r);
        setTimeout(() => child.kill("SIGKILL"), 15_000);
      });
    },
  };
}
export type Loadgen = ReturnType<typeof startLoadgen>;

/** A cgroup (v1 cpu controller) that gives the process `share` of one core. */
export function limitCpu(pid: number, share: number) {
  const dir = `/sys/fs/cgroup/cpu/roamcast-bench-${process.pid}`;
  mkdirSync(dir);
  writeFileSync(`${dir}/cpu.cfs_period_us`, "100000");
  writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(share * 100_000)));
  writeFileSync(`${dir}/cgroup.procs`, String(pid));
  return {
    /** Lifts the quota, so shutdown is not throttled. */
    release: () => writeFileSync(`${dir}/cpu.cfs_quota_us`, "-1"),
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        /* still has a task: the kernel removes nothing, retry is harmless */
      }
    },
  };
}
