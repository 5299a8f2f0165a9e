// One lever measured: a fresh LiveKit on its core, tours added step by step,
// each step settled and then measured — LiveKit's CPU and memory, how busy
// both cores were, the generator's own CPU, egress per listener from
// LiveKit's counters, the probes' latency and loss, the crowd's lost and
// silent counts — until LiveKit reaches 80 % of its core, the generator's
// core saturates (that step is invalid: it measured the generator), or the
// lever's steps run out.
import { join } from "node:path";
import { nowMs } from "../tour/audio";
import { measureTours } from "../tour/measure";
import { sleep } from "../tour/time";
import type { CoreIsolation } from "./cpuset";
import { GENERATOR_CORE, LIVEKIT_CORE } from "./cpuset";
import { CPU_CEILING, toursPerStepToCeiling } from "./fit";
import { delayBound, delayOverStep, type DelayPercentiles } from "./crowdDelay";
import { CROWD_REPORTS, type Crowd, type CrowdClient, type CrowdReports, type Guides, startCrowd } from "./harness";
import { describeLever, type Lever } from "./levers";
import { type LivekitUnderTest, startLivekitUnderTest } from "./livekitUnderTest";
import { busyShare, coreShare, coreTimes, cpuSample, packetCounters, rssMiB } from "./procStats";
import type { IdleFigures, LeverRun, StepResult } from "./report";
import { type GuidedTour, joinCrowd, joinGuide, leaveSampled, type LeverLoad, type TourPool } from "./tours";
import type { LocalPlatform } from "../local/platform";

/** Tours per step for a lever measured with the SDK crowd. */
export const SDK_TOURS_PER_STEP = 2;

export interface StepPlan {
  /** Share of the generator's core above which a step measured the generator, not LiveKit, and is invalid. */
  readonly generatorLimit: number;
  readonly listenersPerTour: number;
  /** Tours of the first step; with adaptiveSteps, the later steps' size comes from it. */
  readonly toursPerStep: number;
  readonly maxSteps: number;
  /** After the first step, size the rest so that ADAPTIVE_STEPS more reach 80 % (the baseline's ramp). */
  readonly adaptiveSteps: boolean;
  readonly sampledTours: number;
  readonly settleMs: number;
  readonly measureMs: number;
}

export interface BenchContext {
  readonly platform: LocalPlatform;
  readonly isolation: CoreIsolation;
  readonly pool: TourPool;
  /** Where each lever's LiveKit writes its CPU profile (livekit-<lever>.pprof), when asked. */
  readonly livekitProfileDir?: string;
}

async function waitUntil(ok: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await sleep(250);
  }
}

/** Waits until every crowd listener joined so far is subscribed and every Go guide publishes. */
export async function waitForJoins(crowd: Crowd, guides: Guides | undefined, listeners: number, goGuides: number) {
  const timeoutMs = 60_000 + 100 * listeners;
  await waitUntil(
    () => crowd.latest().subscribed >= listeners && (guides?.latest().published ?? 0) >= goGuides,
    timeoutMs,
    () =>
      `${listeners} crowd listeners to subscribe (${JSON.stringify(crowd.latest())}, ${crowd.failures().count} failures: ${crowd.failures().last.join(" / ")})` +
      (guides
        ? ` and ${goGuides} Go guides to publish (${JSON.stringify(guides.latest())}, ${guides.failures().count} failures: ${guides.failures().last.join(" / ")})`
        : ""),
  );
}

/** Readings taken at the start and at the end of a measurement window. */
function readings(livekit: LivekitUnderTest, load: LeverLoad) {
  return {
    livekit: cpuSample(livekit.pid),
    crowd: load.crowd.cpu(),
    guides: load.guides?.cpu() ?? { cpuSeconds: 0, at: 0 },
    self: process.cpuUsage(),
    livekitCore: coreTimes(LIVEKIT_CORE),
    generatorCore: coreTimes(GENERATOR_CORE),
    crowdReport: load.crowd.latest(),
    guidesReport: load.guides?.latest(),
    at: nowMs(),
  };
}

export async function measureStep(livekit: LivekitUnderTest, load: LeverLoad, plan: StepPlan): Promise<StepResult> {
  const pktA = await packetCounters(livekit.metricsUrl);
  const a = readings(livekit, load);
  await sleep(plan.measureMs);
  const b = readings(livekit, load);
  const pktB = await packetCounters(livekit.metricsUrl);
  const seconds = (pktB.at - pktA.at) / 1000;
  const listeners = load.crowdJoined + load.sampled.reduce((n, s) => n + s.probes.length, 0);
  const selfCores = (b.self.user - a.self.user + b.self.system - a.self.system) / 1e6 / ((b.at - a.at) / 1000);
  const crowdCpuCores = coreShare(a.crowd, b.crowd);
  // The probes' audio over the window, less the last 600 ms, whose markers may still be in flight.
  const audio = measureTours(
    load.sampled.map((s, i) => ({
      markers: s.signal.markers,
      ears: s.ears.map((e) => e.onsets),
      window: { from: a.at, to: b.at - 600 },
      joinMs: i === load.sampled.length - 1 ? s.joinMs : [],
    })),
  );
  const lost = b.crowdReport.lost - a.crowdReport.lost;
  const received = b.crowdReport.packets - a.crowdReport.packets;
  const generatorCoreBusy = busyShare(a.generatorCore, b.generatorCore);
  return {
    tours: load.tours,
    listeners,
    livekitCpuCores: coreShare(a.livekit, b.livekit),
    livekitRssMiB: rssMiB(livekit.pid),
    livekitCoreBusy: busyShare(a.livekitCore, b.livekitCore),
    generatorCoreBusy,
    generatorCpuCores: selfCores + crowdCpuCores + (load.guides ? coreShare(a.guides, b.guides) : 0),
    crowdCpuCores,
    crowdListeners: load.crowdJoined,
    egressRtpBytesPerListenerPerSecond: (pktB.outgoingBytes - pktA.outgoingBytes) / seconds / listeners,
    egressPacketsPerListenerPerSecond: (pktB.outgoingPackets - pktA.outgoingPackets) / seconds / listeners,
    latencyP50Ms: audio.latencyP50Ms,
    latencyP95Ms: audio.latencyP95Ms,
    lossRatio: audio.lossRatio,
    joinP95Ms: audio.joinP95Ms,
    crowdLostRatio: lost + received > 0 ? lost / (lost + received) : 0,
    crowdSilent: b.crowdReport.silent,
    crowdFailed: b.crowdReport.failed,
    joinRetries: load.crowd.retried() + (load.guides?.retried() ?? 0),
    crowdPacketsPerListenerPerSecond: received / seconds / load.crowdJoined,
    crowdBytesPerListenerPerSecond: (b.crowdReport.bytes - a.crowdReport.bytes) / seconds / load.crowdJoined,
    ...withDelay("crowdDelay", delayOverStep(a.crowdReport.delay, b.crowdReport.delay)),
    ...withDelay("guidesLate", delayOverStep(a.guidesReport?.late, b.guidesReport?.late)),
    valid: generatorCoreBusy <= plan.generatorLimit,
  };
}

const withDelay = (key: "crowdDelay" | "guidesLate", d: DelayPercentiles | undefined) => (d ? { [key]: d } : {});

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const delayText = (what: string, d: DelayPercentiles | undefined) =>
  d ? `; ${what} p50 ${delayBound(d.p50Ms)} p95 ${delayBound(d.p95Ms)} p99 ${delayBound(d.p99Ms)} ms` : "";

function logStep(lever: string, s: StepResult): void {
  console.log(
    `[${lever}] ${s.tours} tours, ${s.listeners} listeners: livekit ${pct(s.livekitCpuCores)} of its core (core busy ${pct(s.livekitCoreBusy)}), ${s.livekitRssMiB.toFixed(0)} MiB; ` +
      `generator core ${pct(s.generatorCoreBusy)}, crowd ${pct(s.crowdCpuCores)}; ${s.egressPacketsPerListenerPerSecond.toFixed(1)} pkt/s/listener sent (crowd got ${s.crowdPacketsPerListenerPerSecond.toFixed(1)} pkt/s, ${(s.crowdBytesPerListenerPerSecond / 1000).toFixed(2)} kB/s); ` +
      `latency p50 ${s.latencyP50Ms.toFixed(0)} p95 ${s.latencyP95Ms.toFixed(0)} ms, loss ${pct(s.lossRatio)}; crowd lost ${pct(s.crowdLostRatio)}, silent ${s.crowdSilent}, failed ${s.crowdFailed} (retried ${s.joinRetries})${delayText("crowd delay", s.crowdDelay)}${delayText("guides late", s.guidesLate)}${s.valid ? "" : " — INVALID: generator saturated"}`,
  );
}

/** Why a lever's ramp stops after this step, if it does. */
export function stopReasonAfter(step: StepResult): string | undefined {
  if (!step.valid)
    return `the generator's core was ${pct(step.generatorCoreBusy)} busy at ${step.listeners} listeners: that step measured the generator, not LiveKit, and is left out of the fit`;
  if (step.livekitCpuCores >= CPU_CEILING) return `LiveKit reached ${CPU_CEILING * 100} % of its core`;
  return undefined;
}

async function idleOf(livekit: LivekitUnderTest) {
  const a = cpuSample(livekit.pid);
  await sleep(3000);
  return { livekitCpuCores: coreShare(a, cpuSample(livekit.pid)), livekitRssMiB: rssMiB(livekit.pid) };
}

/** Adds a step's tours: guides first (so listeners subscribe to tracks that stay), then their crowds. */
async function addStep(load: LeverLoad, tours: number): Promise<void> {
  const guided: GuidedTour[] = [];
  for (let t = 0; t < tours; t++) guided.push(await joinGuide(load));
  await waitForJoins(load.crowd, load.guides, 0, load.goGuides);
  for (const g of guided) await joinCrowd(load, g);
  await waitForJoins(load.crowd, load.guides, load.crowdJoined, load.goGuides);
}

/** Steps after the first that an adaptive ramp aims to reach 80 % in. */
export const ADAPTIVE_STEPS = 3;

async function rampSteps(livekit: LivekitUnderTest, load: LeverLoad, plan: StepPlan, idle: IdleFigures) {
  const steps: StepResult[] = [];
  let tours = plan.toursPerStep;
  for (let n = 1; n <= plan.maxSteps; n++) {
    try {
      await addStep(load, tours);
    } catch (error) {
      // A lever whose joins do not complete ends here; its steps so far still count.
      console.log(`[${load.lever.name}] ${(error as Error).message}`);
      return { steps, stopReason: `step ${n} did not join: ${(error as Error).message.slice(0, 300)}` };
    }
    await sleep(plan.settleMs);
    const step = await measureStep(livekit, load, plan);
    steps.push(step);
    logStep(load.lever.name, step);
    const stopReason = stopReasonAfter(step);
    if (stopReason) return { steps, stopReason };
    if (n === 1 && plan.adaptiveSteps) {
      const first = { listeners: step.listeners, cpu: step.livekitCpuCores };
      tours = toursPerStepToCeiling(idle.livekitCpuCores, first, plan.listenersPerTour, ADAPTIVE_STEPS);
      console.log(`[${load.lever.name}] next steps: ${tours} tours each`);
    }
  }
  return { steps, stopReason: `ran its ${plan.maxSteps} steps` };
}

export interface LeverRunOptions {
  /** The crowd instead of the lever's own (the paired rounds measure every lever with one crowd). */
  readonly crowd?: CrowdClient;
  /** Lean crowds: the reports each listener sends (default CROWD_REPORTS, a phone's). */
  readonly reports?: CrowdReports;
  /** Write LiveKit's CPU profile when the bench was asked to (it adds up to 45 s for LiveKit's clean exit). */
  readonly profile?: boolean;
}

/** Runs one lever from a fresh LiveKit to its last step, and stops everything it started. */
export async function runLever(
  ctx: BenchContext,
  lever: Lever,
  plan: StepPlan,
  options: LeverRunOptions = {},
): Promise<LeverRun> {
  const client = options.crowd ?? lever.crowd ?? "lean";
  console.log(`lever "${lever.name}": ${describeLever(lever)}; crowd ${client}`);
  const profile =
    (options.profile ?? true) &&
    ctx.livekitProfileDir &&
    join(ctx.livekitProfileDir, `livekit-${lever.name.replace(/[^a-z0-9]+/gi, "-")}.pprof`);
  const livekit = await startLivekitUnderTest(ctx.platform, lever, ctx.isolation, profile || undefined);
  const crowd = startCrowd(client, client === "sdk" ? undefined : (options.reports ?? CROWD_REPORTS));
  // The SDK crowd costs about ten times the lean one per listener: smaller steps keep its core below saturation.
  const stepPlan = client === "sdk" ? { ...plan, toursPerStep: Math.min(plan.toursPerStep, SDK_TOURS_PER_STEP) } : plan;
  const load: LeverLoad = {
    platform: ctx.platform,
    pool: ctx.pool,
    lever,
    livekitUrl: livekit.url,
    crowd,
    sampledTours: plan.sampledTours,
    sampled: [],
    tours: 0,
    crowdJoined: 0,
    goGuides: 0,
  };
  try {
    const idle = await idleOf(livekit);
    const { steps, stopReason } = await rampSteps(livekit, load, stepPlan, idle);
    return { name: lever.name, settings: settingsOf(lever), idle, steps, stopReason, crowd: client };
  } finally {
    await leaveSampled(load);
    await crowd.stop();
    await load.guides?.stop();
    await livekit.stop();
  }
}

export function settingsOf(lever: Lever): LeverRun["settings"] {
  return { guide: lever.guide, redundantAudio: lever.redundantAudio, server: lever.server };
}
