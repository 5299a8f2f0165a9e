// Capacity benchmark: adds tours of a guide and N listeners (real WebRTC
// clients) to a local LiveKit server pinned to one core, step by step, until
// LiveKit uses 80 % of that core or the load generator runs out of its own
// core. Each step records LiveKit's CPU and memory, egress per listener,
// audio latency and loss; the report sets them beside the planning document.
//
//   npm run bench:capacity -- [--listeners 30] [--max-tours 12] [--measure 10] [--out bench/results]
import { dispose, Room } from "@livekit/rtc-node";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type LocalPlatform, startLocalPlatform } from "../test/support/platform";
import { createTour } from "../test/support/roles";
import { analyse, type GuideSignal, listen, type ListenerEar, percentile, publishGuideSignal } from "../test/support/tourAudio";
import { coreShare, cpuSample, packetCounters, rssMiB } from "./procStats";
import { type BenchReport, type StepResult, writeReport } from "./report";

const LIVEKIT_CORE = "0";
const GENERATOR_CORE = "1";
const PROBES_PER_TOUR = 3;

interface TourLoad { guide: Room; signal: GuideSignal; listeners: Room[]; probes: ListenerEar[]; joinMs: number[] }

async function addTour(platform: LocalPlatform, listeners: number, index: number): Promise<TourLoad> {
  const tour = await createTour(platform.admin, { listeners, label: `bench${index}` });
  const guideToken = await platform.requestToken(tour.guide, tour.tourId);
  if (guideToken.status !== 200) throw new Error(`guide token: ${guideToken.status} ${JSON.stringify(guideToken.body)}`);
  const guide = new Room();
  await guide.connect(guideToken.body.url, guideToken.body.token, { autoSubscribe: false, dynacast: false });
  const signal = await publishGuideSignal(guide);
  const joinMs: number[] = [];
  const rooms = await Promise.all(tour.listeners.map(async (id) => {
    const t0 = performance.now();
    const res = await platform.requestToken(id, tour.tourId);
    if (res.status !== 200) throw new Error(`listener token: ${res.status}`);
    const room = new Room();
    await room.connect(res.body.url, res.body.token, { autoSubscribe: true, dynacast: false });
    joinMs.push(performance.now() - t0);
    return room;
  }));
  // Every listener subscribes and receives every packet; a few also decode
  // and measure, so the generator's own cost stays small.
  const probes = rooms.slice(0, PROBES_PER_TOUR).map((room) => listen(room));
  await Promise.all(probes.map((p) => Promise.race([p.firstMarker(), sleep(30_000).then(() => { throw new Error("a probe heard nothing in 30 s"); })])));
  return { guide, signal, listeners: rooms, probes, joinMs };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listeners: { type: "string", default: "30" },
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
  const command = `npm run bench:capacity -- ${process.argv.slice(2).join(" ")}`.trim();

  // LiveKit gets core 0; this process (the load generator), its client
  // threads, PostgreSQL and the functions share core 1.
  execFileSync("taskset", ["-a", "-p", "-c", GENERATOR_CORE, String(process.pid)], { stdio: "ignore" });
  const platform = await startLocalPlatform({ livekitCpus: LIVEKIT_CORE, listenersPerTour: listeners });
  const livekitPid = platform.livekit.child.pid!;
  const metricsUrl = `http://127.0.0.1:${platform.ports.metrics}/metrics`;
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
      tours.push(await addTour(platform, listeners, n));
      await sleep(settleMs);
      const lkA = cpuSample(livekitPid);
      const genA = process.cpuUsage();
      const pktA = await packetCounters(metricsUrl);
      const from = performance.now();
      await sleep(measureMs);
      const lkB = cpuSample(livekitPid);
      const genB = process.cpuUsage(genA);
      const pktB = await packetCounters(metricsUrl);
      const to = performance.now() - 600;
      const ears = tours.flatMap((t) => t.probes.map((p) => analyse(t.signal.markers, p.onsets, { from, to })));
      const latencies = ears.flatMap((e) => e.latenciesMs);
      const expected = ears.reduce((s, e) => s + e.expected, 0);
      const heard = ears.reduce((s, e) => s + e.heard, 0);
      const seconds = (pktB.at - pktA.at) / 1000;
      const totalListeners = n * listeners;
      const step: StepResult = {
        tours: n,
        listeners: totalListeners,
        livekitCpuCores: coreShare(lkA, lkB),
        livekitRssMiB: rssMiB(livekitPid),
        generatorCpuCores: (genB.user + genB.system) / 1e6 / (measureMs / 1000),
        egressRtpBytesPerListenerPerSecond: (pktB.outgoingBytes - pktA.outgoingBytes) / seconds / totalListeners,
        egressPacketsPerListenerPerSecond: (pktB.outgoingPackets - pktA.outgoingPackets) / seconds / totalListeners,
        latencyP50Ms: percentile(latencies, 50),
        latencyP95Ms: percentile(latencies, 95),
        lossRatio: expected ? 1 - heard / expected : NaN,
        joinP95Ms: percentile(tours[n - 1]!.joinMs, 95),
      };
      steps.push(step);
      console.log(`tours ${n}: livekit ${(step.livekitCpuCores * 100).toFixed(1)} % core, ${step.livekitRssMiB.toFixed(0)} MiB, ` +
        `generator ${(step.generatorCpuCores * 100).toFixed(0)} % core, egress ${(step.egressRtpBytesPerListenerPerSecond / 1000).toFixed(2)} kB/s/listener, ` +
        `latency p50 ${step.latencyP50Ms.toFixed(0)} ms p95 ${step.latencyP95Ms.toFixed(0)} ms, loss ${(step.lossRatio * 100).toFixed(2)} %`);
      if (step.livekitCpuCores >= 0.8) { stopReason = "LiveKit reached 80 % of its core"; break; }
      if (step.generatorCpuCores >= 0.9) { stopReason = "the load generator saturated its own core (figures beyond would measure the generator, not LiveKit)"; break; }
    }
    const report: BenchReport = {
      command, date: new Date().toISOString(), cpuModel: cpus()[0]?.model ?? "unknown", listenersPerTour: listeners,
      idle: { livekitCpuCores: idleCpu, livekitRssMiB: idleRss }, steps, stopReason, probesPerTour: PROBES_PER_TOUR,
      measureSeconds: measureMs / 1000,
    };
    await writeReport(resolve(values.out!), report);
    console.log(`report written to ${resolve(values.out!)}`);
  } finally {
    for (const t of tours) {
      await t.signal.stop().catch(() => {});
      for (const r of [t.guide, ...t.listeners]) await r.disconnect().catch(() => {});
    }
    await dispose();
    await platform.stop();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
