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
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { type LocalPlatform, startLocalPlatform } from "../local/platform";
import { createTour } from "../local/roles";
import { type GuideSignal, listen, type ListenerEar, nowMs, publishGuideSignal } from "../tour/audio";
import { measureTours } from "../tour/measure";
import { disposeClients, leaveRooms } from "../tour/rooms";
import { sleep, withTimeout } from "../tour/time";
import { type Cli, numberOption, runCli } from "../scripts/cli";
import { checkOutFolder, type OutFolder } from "../scripts/outFolder";
import { GENERATOR_CORE, limitCpu, LIVEKIT_CORE, type Loadgen, startLoadgen } from "./harness";
import { coreShare, cpuSample, packetCounters, rssMiB } from "./procStats";
import { type BenchReport, type StepResult, writeReport } from "./report";

const PROBES_PER_TOUR = 3;

const SPEC = {
  usage: "usage: npm run bench:capacity -- [--livekit-cpu 0.25] [--listeners 30] [--max-tours 12] [--measure 10]",
  help: `
Adds tours of a guide and --listeners listeners to a local LiveKit server, step by
step, until LiveKit uses 80 % of the CPU it was given or the load generator runs
out of its own core, and writes the report (capacity.json, .md, .png) to --out.
Needs root (cgroups, taskset), two cores and the Go tools (scripts/build-tools.sh bench).

  --livekit-cpu <share>  share of one core LiveKit is given, above 0 and at most 1 (default 0.25)
  --listeners <n>        listeners per tour, ${PROBES_PER_TOUR} of them probes that time the audio (default 30)
  --max-tours <n>        stop after this many tours (default 12)
  --settle <seconds>     wait after each tour joins, before measuring (default 5)
  --measure <seconds>    measure each step for this long (default 10)
  --out <dir>            where to write the report (default bench/results)
  -h, --help             this text
`,
  options: {
    listeners: { type: "string", default: "30" },
    "livekit-cpu": { type: "string", default: "0.25" },
    "max-tours": { type: "string", default: "12" },
    settle: { type: "string", default: "5" },
    measure: { type: "string", default: "10" },
    out: { type: "string", default: join(__dirname, "results") },
  },
} as const;

interface BenchOptions {
  readonly listeners: number;
  readonly maxTours: number;
  readonly measureMs: number;
  readonly settleMs: number;
  readonly livekitShare: number;
  readonly out: OutFolder;
}

/** Everything a step measures against, once the platform and the crowd run. */
interface Bench {
  readonly options: BenchOptions;
  readonly platform: LocalPlatform;
  readonly livekitPid: number;
  readonly metricsUrl: string;
  readonly loadgen: Loadgen;
  readonly tours: TourLoad[];
}

interface TourLoad {
  guide: Room;
  signal: GuideSignal;
  listeners: Room[];
  probes: ListenerEar[];
  joinMs: number[];
}

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

/** One step: LiveKit's CPU and memory, the generator's CPU, egress, and the probes' audio, over --measure. */
async function measureStep(bench: Bench, n: number): Promise<StepResult> {
  const { livekitPid, loadgen, metricsUrl, tours, options } = bench;
  const lkA = cpuSample(livekitPid);
  const genA = process.cpuUsage();
  const loadA = cpuSample(loadgen.pid());
  const pktA = await packetCounters(metricsUrl);
  const from = nowMs();
  await sleep(options.measureMs);
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
  const totalListeners = n * options.listeners;
  return {
    tours: n,
    listeners: totalListeners,
    livekitCpuCores: coreShare(lkA, lkB),
    livekitRssMiB: rssMiB(livekitPid),
    generatorCpuCores: (genB.user + genB.system) / 1e6 / (options.measureMs / 1000) + coreShare(loadA, loadB),
    egressRtpBytesPerListenerPerSecond: (pktB.outgoingBytes - pktA.outgoingBytes) / seconds / totalListeners,
    egressPacketsPerListenerPerSecond: (pktB.outgoingPackets - pktA.outgoingPackets) / seconds / totalListeners,
    latencyP50Ms: audio.latencyP50Ms,
    latencyP95Ms: audio.latencyP95Ms,
    lossRatio: audio.lossRatio,
    joinP95Ms: audio.joinP95Ms,
  };
}

function logStep(step: StepResult): void {
  console.log(
    `tours ${step.tours}: livekit ${(step.livekitCpuCores * 100).toFixed(1)} % core, ${step.livekitRssMiB.toFixed(0)} MiB, ` +
      `generator ${(step.generatorCpuCores * 100).toFixed(0)} % core, egress ${(step.egressRtpBytesPerListenerPerSecond / 1000).toFixed(2)} kB/s/listener, ` +
      `latency p50 ${step.latencyP50Ms.toFixed(0)} ms p95 ${step.latencyP95Ms.toFixed(0)} ms, loss ${(step.lossRatio * 100).toFixed(2)} %`,
  );
}

/** Why the bench stops after this step, if it does. */
function stopReasonAfter(step: StepResult, livekitShare: number): string | undefined {
  if (step.livekitCpuCores >= 0.8 * livekitShare)
    return `LiveKit reached 80 % of the CPU it was given (${livekitShare} of a core)`;
  if (step.generatorCpuCores >= 0.9)
    return "the load generator saturated its own core (figures beyond would measure the generator, not LiveKit)";
  return undefined;
}

/** Adds a tour per step and measures it, until a stop reason or --max-tours. */
async function runSteps(bench: Bench): Promise<{ steps: StepResult[]; stopReason: string }> {
  const { options, platform, loadgen, tours } = bench;
  const steps: StepResult[] = [];
  for (let n = 1; n <= options.maxTours; n++) {
    tours.push(await addTour(platform, loadgen, options.listeners, n));
    const crowd = n * (options.listeners - PROBES_PER_TOUR);
    await waitUntil(() => loadgen.latest().subscribed >= crowd, 60_000, `loadgen listeners of ${n} tours to subscribe`);
    await sleep(options.settleMs);
    const step = await measureStep(bench, n);
    steps.push(step);
    logStep(step);
    const stopReason = stopReasonAfter(step, options.livekitShare);
    if (stopReason) return { steps, stopReason };
  }
  return { steps, stopReason: `reached --max-tours ${options.maxTours}` };
}

async function runBench(options: BenchOptions, command: string): Promise<void> {
  // LiveKit gets core 0; this process (the load generator), its client
  // threads, PostgreSQL and the functions share core 1.
  execFileSync("taskset", ["-a", "-p", "-c", GENERATOR_CORE, String(process.pid)], { stdio: "ignore" });
  const platform = await startLocalPlatform({ livekitCpus: LIVEKIT_CORE, listenersPerTour: options.listeners });
  const livekitPid = platform.livekit.child.pid!;
  const quota = limitCpu(livekitPid, options.livekitShare);
  const metricsUrl = `http://127.0.0.1:${platform.ports.metrics}/metrics`;
  const bench: Bench = { options, platform, livekitPid, metricsUrl, loadgen: startLoadgen(), tours: [] };
  try {
    const idleA = cpuSample(livekitPid);
    await sleep(3000);
    const idleCpu = coreShare(idleA, cpuSample(livekitPid));
    const idleRss = rssMiB(livekitPid);
    console.log(`idle: livekit ${(idleCpu * 100).toFixed(1)} % of a core, ${idleRss.toFixed(0)} MiB`);
    const { steps, stopReason } = await runSteps(bench);
    const report: BenchReport = {
      command,
      date: new Date().toISOString(),
      cpuModel: cpus()[0]?.model ?? "unknown",
      listenersPerTour: options.listeners,
      livekitCpuGiven: options.livekitShare,
      idle: { livekitCpuCores: idleCpu, livekitRssMiB: idleRss },
      steps,
      stopReason,
      probesPerTour: PROBES_PER_TOUR,
      measureSeconds: options.measureMs / 1000,
    };
    options.out.create();
    await writeReport(options.out.path, report);
    console.log(`report written to ${options.out.path}`);
  } finally {
    await bench.loadgen.stop();
    quota.release();
    for (const t of bench.tours) await t.signal.stop().catch(() => {});
    await leaveRooms(bench.tours.flatMap((t) => [t.guide, ...t.listeners]));
    await disposeClients();
    await platform.stop();
    quota.remove();
  }
}

function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const { values } = cli;
  const whole = (name: "listeners" | "max-tours") => numberOption(name, values[name], { integer: true, above: 0 });
  const seconds = (name: "measure" | "settle") => numberOption(name, values[name], { above: 0 }) * 1000;
  const options: BenchOptions = {
    listeners: whole("listeners"),
    maxTours: whole("max-tours"),
    measureMs: seconds("measure"),
    settleMs: seconds("settle"),
    livekitShare: numberOption("livekit-cpu", values["livekit-cpu"], { above: 0, atMost: 1 }),
    // Refused now, not after the whole run.
    out: checkOutFolder("--out", values.out),
  };
  const command = `npm run bench:capacity -- ${process.argv.slice(2).join(" ")}`.trim();
  return runBench(options, command).then(() => 0);
}

if (require.main === module) runCli(SPEC, main, { forceExit: true });
