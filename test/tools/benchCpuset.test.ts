// The capacity benchmark's sweep of cpusets a bench killed by a signal left
// behind, on this machine's real cgroup v1 cpuset hierarchy (root, as CI
// runs). Everything happens inside a cpuset of the test's own, so a bench
// running on the machine meanwhile is neither seen nor touched.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sweepStaleBenchCpusets } from "../../bench/cpuset";

const CPUSET_ROOT = "/sys/fs/cgroup/cpuset";
const TEST_NAME = `roamcast-cpuset-test-${process.pid}`;
const PARENT = `${CPUSET_ROOT}/${TEST_NAME}`;
const mems = () => readFileSync(`${CPUSET_ROOT}/cpuset.effective_mems`, "utf8").trim();

function makeCpuset(dir: string, cpus: string): void {
  mkdirSync(dir);
  writeFileSync(`${dir}/cpuset.cpus`, cpus);
  writeFileSync(`${dir}/cpuset.mems`, mems());
}

/** The layout isolateCores creates, for a bench of pid `pid`. */
function benchCpuset(pid: number): string {
  const dir = `${PARENT}/roamcast-bench-${pid}`;
  makeCpuset(dir, readFileSync(`${CPUSET_ROOT}/cpuset.effective_cpus`, "utf8").trim());
  makeCpuset(`${dir}/livekit`, "0");
  makeCpuset(`${dir}/generator`, "1");
  return dir;
}

const childCpusets = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

/** The cpuset path of a process, relative to the hierarchy's root. */
const cpusetOf = (pid: number) => readFileSync(`/proc/${pid}/cpuset`, "utf8").trim();

/** The test's own clean-up, independent of the code under test: tasks back to the root, then deepest first. */
function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeTree(`${dir}/${entry.name}`);
  for (const pid of readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n").filter(Boolean)) {
    try {
      writeFileSync(`${CPUSET_ROOT}/cgroup.procs`, pid);
    } catch {
      /* exited meanwhile */
    }
  }
  rmdirSync(dir);
}

const sleepers: ChildProcess[] = [];
function sleeper(): number {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  sleepers.push(child);
  return child.pid!;
}

/** A pid that ran and has exited (and was reaped). */
const deadPid = () => spawnSync("true").pid;

/** A test run killed outright (no afterEach) left its cpuset: removed by the next run, as the bench's sweep would. */
beforeAll(() => {
  for (const name of readdirSync(CPUSET_ROOT)) {
    const pid = Number(/^roamcast-cpuset-test-(\d+)$/.exec(name)?.[1]);
    if (pid && !existsSync(`/proc/${pid}`)) removeTree(`${CPUSET_ROOT}/${name}`);
  }
});
beforeEach(() => makeCpuset(PARENT, readFileSync(`${CPUSET_ROOT}/cpuset.effective_cpus`, "utf8").trim()));
afterEach(() => {
  try {
    removeTree(PARENT);
  } finally {
    for (const child of sleepers.splice(0)) child.kill("SIGKILL");
  }
});

describe("sweeping stale benchmark cpusets", () => {
  it("removes a dead bench's cpuset and its children, moving a task still in it back to the parent", () => {
    const dead = deadPid();
    const stale = benchCpuset(dead);
    const orphan = sleeper();
    writeFileSync(`${stale}/generator/cgroup.procs`, String(orphan));
    expect(cpusetOf(orphan)).toBe(`/${TEST_NAME}/roamcast-bench-${dead}/generator`);

    expect(sweepStaleBenchCpusets(PARENT)).toEqual([stale]);

    expect(existsSync(stale)).toBe(false);
    expect(cpusetOf(orphan)).toBe(`/${TEST_NAME}`);
    expect(childCpusets(PARENT)).toEqual([]);
  });

  it("leaves a running bench's cpuset alone and refuses, naming its pid, after removing the stale one", () => {
    const stale = benchCpuset(deadPid());
    const runningPid = sleeper();
    const running = benchCpuset(runningPid);
    writeFileSync(`${running}/generator/cgroup.procs`, String(runningPid));

    expect(() => sweepStaleBenchCpusets(PARENT)).toThrow(
      new RegExp(`another capacity benchmark holds LiveKit's core: pid ${runningPid} \\(sleep 60\\) still runs`),
    );

    expect(existsSync(stale)).toBe(false);
    expect(childCpusets(running)).toEqual(["generator", "livekit"]);
    expect(cpusetOf(runningPid)).toBe(`/${TEST_NAME}/roamcast-bench-${runningPid}/generator`);
  });

  it("ignores cpusets that are not a bench's and returns nothing when nothing is stale", () => {
    makeCpuset(`${PARENT}/roamcast-bench-notapid`, "0");
    makeCpuset(`${PARENT}/other`, "0");
    expect(sweepStaleBenchCpusets(PARENT)).toEqual([]);
    expect(existsSync(`${PARENT}/roamcast-bench-notapid`)).toBe(true);
    expect(existsSync(`${PARENT}/other`)).toBe(true);
  });
});
