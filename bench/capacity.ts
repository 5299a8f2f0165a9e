// Capacity benchmark: adds tours of a guide and N listeners (real WebRTC
// clients) to a local LiveKit server pinned to one core, step by step, until
// LiveKit uses 80 % of that core or the load generator runs out of its own
// core. Per tour, the guide and three probe listeners are @livekit/rtc-node
// clients that decode and time the audio; the other listeners are pion
// clients in tools/loadgen (Go), which receive every packet and discard it. Each step records LiveKit's CPU and memory, egress per listener,
// audio latency and loss; the report sets them beside the planning document.
//
// LiveKit is given a share of its core (--livekit-cpu, a cgroup CPU quota),
// so that 80 % of what it was given is reachable before the generator's own
// core runs out.
//
//   npm run bench:capacity -- [--livekit-cpu 0.25] [--listeners 30] [--max-tours 12] [--measure 10] [--out bench/results]
import { Room } from "@livekit/rtc-node";
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type LocalPlatform, startLocalPlatform } from "../local/platform";
import { createTour } from "../local/roles";
import { type GuideSignal, listen, type ListenerEar, nowMs, publishGuideSignal } from "../tour/audio";
import { measureTours } from "../tour/measure";
import { goTool } from "../local/processes";
import { disposeClients, leaveRooms } from "../tour/rooms";
import { sleep, withTimeout } from "../tour/time";
import { coreShare, cpuSample, packetCounters, rssMiB } from "./procStats";
import { type BenchReport, type StepResult, writeReport } from "./report";

const LIVEKIT_CORE = "0";
const GENERATOR_CORE = "1";
const PROBES_PER_TOUR = 3;

interface TourLoad {
  guide: Room;
  signal: GuideSignal;
  listeners: Room[];
  probes: ListenerEar[];
  joinMs: number[];
}

interface LoadgenReport {
  connected: number;
  failed: number;
  subscribed: number;
  packets: number;
  bytes: number;
  silent: number;
}

/** The Go listener crowd, on the generator's core; joins arrive as JSON lines. */
function startLoadgen() {
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
type Loadgen = ReturnType<typeof startLoadgen>;

async function addTour(platform: LocalPlatform, loadgen: Loadgen, listeners: number, index: number): Promise<TourLoad> {
  const tour = await createTour(platform.admin, { listeners, label: `bench${index}` });
  const guideToken = await platform.requestToken(tour.guide, tour.tourId);
  if (guideToken.status !== 200)
    throw new Error(`guide token: ${guideToken.status} ${JSON.stringify(guideToken.body)}`);
  const guide = new Room();
  await guide.connect(guideToken.body.url, guideToken.body.token, { autoSubscribe: false, dynacast: false });
  const signal = await publishGuideSignal(guide);
  const joinMs: number[] = [];
  const tokens = await Promise.all(
    tour.listeners.map(async (id) => {
      const res = await platform.requestToken(id, tour.tourId);
      if (res.status !== 200) throw new Error(`listener token: ${res.status} ${JSON.stringify(res.body)}`);
      return { id, url: res.body.url as string, token: res.body.token as string };
    }),
  );
  for (const t of tokens.slice(PROBES_PER_TOUR)) loadgen.join(t.id, t.url, t.token);
  const rooms = await Promise.all(
    tokens.slice(0, PROBES_PER_TOUR).map(async (t) => {
      const t0 = performance.now();
      const room = new Room();
      await room.connect(t.url, t.token, { autoSubscribe: true, dynacast: false });
      joinMs.push(performance.now() - t0);
      return room;
    }),
  );
  const probes = rooms.map((room) => listen(room));
  await Promise.all(probes.map((p) => withTimeout(30_000, "a probe hearing the guide", p.firstMarker())));
  return { guide, signal, listeners: rooms, probes, joinMs };
}

async function waitUntil(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listeners: { type: "string", default: "30" },
      "livekit-cpu": { type: "string", default: "0.25" },
      "max-tours": { type: "string", default: "12" },
      settle: { type: "string", default: "5" },
      measure: { type: "string", default: "10" },
      out: { type: "string", default: join(__dirname, "results") },
    },
  });
  const listeners = Number(values.listeners);
  const maxTours = Number(values["max-tours"]);
  const measureMs = Number(values.measure) * 1000;
  const settleMs = Number(values.settle) * 1000;
  for (const [name, value] of [
    ["listeners", listeners],
    ["max-tours", maxTours],
    ["measure", measureMs],
    ["settle", settleMs],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  }
  const livekitShare = Number(values["livekit-cpu"]);
  if (!(livekitShare > 0 && livekitShare <= 1))
    throw new Error("--livekit-cpu must be a share of one core, above 0 and at most 1");
  const command = `npm run bench:capacity -- ${process.argv.slice(2).join(" ")}`.trim();

  // LiveKit gets core 0; this process (the load generator), its client
  // threads, PostgreSQL and the functions share core 1.
  execFileSync("taskset", ["-a", "-p", "-c", GENERATOR_CORE, String(process.pid)], { stdio: "ignore" });
  const platform = await startLocalPlatform({ livekitCpus: LIVEKIT_CORE, listenersPerTour: listeners });
  const livekitPid = platform.livekit.child.pid!;
  const quota = limitCpu(livekitPid, livekitShare);
  const metricsUrl = `http://127.0.0.1:${platform.ports.metrics}/metrics`;
  const loadgen = startLoadgen();
  const tours: TourLoad[] = [];
  const steps: StepResult[] = [];
  let stopReason = `reached --max-tours ${maxTours}`;
  try {
    const idleA = cpuSample(livekitPid);
    await sleep(3000);
    const idleCpu = coreShare(idleA, cpuSample(livekitPid));
    const idleRss = rssMiB(livekitPid);
    console.log(`idle: livekit ${(idleCpu * 100).toFixed(1)} % of a core, ${idleRss.toFixed(0)} MiB`);

    for (let n = 1; n <= maxTours; n++) {
      tours.push(await addTour(platform, loadgen, listeners, n));
      const crowd = n * (listeners - PROBES_PER_TOUR);
      await waitUntil(
        () => loadgen.latest().subscribed >= crowd,
        60_000,
        `loadgen listeners of ${n} tours to subscribe`,
      );
      await sleep(settleMs);
      const lkA = cpuSample(livekitPid);
      const genA = process.cpuUsage();
      const loadA = cpuSample(loadgen.pid());
      const pktA = await packetCounters(metricsUrl);
      const from = nowMs();
      await sleep(measureMs);
      const lkB = cpuSample(livekitPid);
      const genB = process.cpuUsage(genA);
      const loadB = cpuSample(loadgen.pid());
      const crowdReport = loadgen.latest();
      if (crowdReport.silent > 0 || crowdReport.failed > 0) {
        throw new Error(
          `loadgen: ${crowdReport.silent} listeners received nothing in the last second, ${crowdReport.failed} failed to join`,
        );
      }
      const pktB = await packetCounters(metricsUrl);
      const to = nowMs() - 600;
      // Join times of the tour that joined last, into a server already carrying the others.
      const audio = measureTours(
        tours.map((t, i) => ({
          markers: t.signal.markers,
          ears: t.probes.map((p) => p.onsets),
          window: { from, to },
          joinMs: i === n - 1 ? t.joinMs : [],
        })),
      );
      const seconds = (pktB.at - pktA.at) / 1000;
      const totalListeners = n * listeners;
      const step: StepResult = {
        tours: n,
        listeners: totalListeners,
        livekitCpuCores: coreShare(lkA, lkB),
        livekitRssMiB: rssMiB(livekitPid),
        generatorCpuCores: (genB.user + genB.system) / 1e6 / (measureMs / 1000) + coreShare(loadA, loadB),
        egressRtpBytesPerListenerPerSecond: (pktB.outgoingBytes - pktA.outgoingBytes) / seconds / totalListeners,
        egressPacketsPerListenerPerSecond: (pktB.outgoingPackets - pktA.outgoingPackets) / seconds / totalListeners,
        latencyP50Ms: audio.latencyP50Ms,
        latencyP95Ms: audio.latencyP95Ms,
        lossRatio: audio.lossRatio,
        joinP95Ms: audio.joinP95Ms,
      };
      steps.push(step);
      console.log(
        `tours ${n}: livekit ${(step.livekitCpuCores * 100).toFixed(1)} % core, ${step.livekitRssMiB.toFixed(0)} MiB, ` +
          `generator ${(step.generatorCpuCores * 100).toFixed(0)} % core, egress ${(step.egressRtpBytesPerListenerPerSecond / 1000).toFixed(2)} kB/s/listener, ` +
          `latency p50 ${step.latencyP50Ms.toFixed(0)} ms p95 ${step.latencyP95Ms.toFixed(0)} ms, loss ${(step.lossRatio * 100).toFixed(2)} %`,
      );
      if (step.livekitCpuCores >= 0.8 * livekitShare) {
        stopReason = `LiveKit reached 80 % of the CPU it was given (${livekitShare} of a core)`;
        break;
      }
      if (step.generatorCpuCores >= 0.9) {
        stopReason =
          "the load generator saturated its own core (figures beyond would measure the generator, not LiveKit)";
        break;
      }
    }
    const report: BenchReport = {
      command,
      date: new Date().toISOString(),
      cpuModel: cpus()[0]?.model ?? "unknown",
      listenersPerTour: listeners,
      livekitCpuGiven: livekitShare,
      idle: { livekitCpuCores: idleCpu, livekitRssMiB: idleRss },
      steps,
      stopReason,
      probesPerTour: PROBES_PER_TOUR,
      measureSeconds: measureMs / 1000,
    };
    await writeReport(resolve(values.out!), report);
    console.log(`report written to ${resolve(values.out!)}`);
  } finally {
    await loadgen.stop();
    quota.release();
    for (const t of tours) await t.signal.stop().catch(() => {});
    await leaveRooms(tours.flatMap((t) => [t.guide, ...t.listeners]));
    await disposeClients();
    await platform.stop();
    quota.remove();
  }
}

/** A cgroup (v1 cpu controller) that gives the process `share` of one core. */
function limitCpu(pid: number, share: number) {
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

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
