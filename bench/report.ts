// The capacity benchmark's record: the raw steps of every lever and the
// cross-check (kept in capacity.json, so the report can be re-rendered), and
// the figures derived from them (derive, pure). The files are written by
// bench/writeReport.ts.
import { CPU_CEILING, fitLine, relativeMargin, xAtCeiling } from "./fit";
import { type GuideSettings, LEVERS, type ServerOverrides } from "./levers";

export interface StepResult {
  readonly tours: number;
  /** Every listener: crowd and probes. */
  readonly listeners: number;
  /** LiveKit's own CPU, in cores (1 = its whole core). */
  readonly livekitCpuCores: number;
  readonly livekitRssMiB: number;
  /** How busy LiveKit's core was, whoever kept it busy: above livekitCpuCores is someone else's load. */
  readonly livekitCoreBusy: number;
  /** How busy the generator's core was, whoever kept it busy; above the report's generatorLimit the step is invalid. */
  readonly generatorCoreBusy: number;
  /** The bench's own processes: this Node process (probes, rtc-node guides), the crowd, the Go guides. */
  readonly generatorCpuCores: number;
  readonly crowdCpuCores: number;
  readonly crowdListeners: number;
  readonly egressRtpBytesPerListenerPerSecond: number;
  readonly egressPacketsPerListenerPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /** Share of the guide's markers the probes did not hear. */
  readonly lossRatio: number;
  readonly joinP95Ms: number;
  /** RTP sequence gaps the crowd saw, of the packets it should have received. */
  readonly crowdLostRatio: number;
  readonly crowdSilent: number;
  /** Join failures the crowd reported (each sent again, up to twice) and joins of crowd and Go guides sent again. */
  readonly crowdFailed: number;
  readonly joinRetries: number;
  /** What the crowd counted arriving, per crowd listener: beside LiveKit's own egress counters. */
  readonly crowdPacketsPerListenerPerSecond: number;
  readonly crowdBytesPerListenerPerSecond: number;
  readonly valid: boolean;
}

export interface IdleFigures {
  readonly livekitCpuCores: number;
  readonly livekitRssMiB: number;
}

export interface LeverSettings {
  readonly guide: GuideSettings;
  readonly redundantAudio: boolean;
  readonly server: ServerOverrides;
}

export interface LeverRun {
  readonly name: string;
  readonly settings: LeverSettings;
  readonly idle: IdleFigures;
  readonly steps: readonly StepResult[];
  readonly stopReason: string;
}

export interface CrowdMeasurement {
  readonly client: "lean" | "lean-polled" | "lean-ports" | "sdk";
  readonly livekitCpuCores: number;
  readonly livekitCpuCoresPerListener: number;
  /** The crowd process's own CPU per listener: the generator's cost. */
  readonly crowdCpuCoresPerListener: number;
  readonly generatorCoreBusy: number;
  readonly silent: number;
  readonly failed: number;
}

/** One round of the cross-check: LiveKit with the guides alone, then each crowd in turn. */
export interface CrossCheckRound {
  readonly guidesOnlyLivekitCpuCores: number;
  readonly lean: CrowdMeasurement;
  /** The lean crowd with a polled socket per listener: the SDK crowd's way of receiving. */
  readonly leanPolled?: CrowdMeasurement;
  /** The lean crowd with an unwaited port per listener: the crowd of the single-port lever. */
  readonly leanPorts?: CrowdMeasurement;
  readonly sdk: CrowdMeasurement;
}

/** The cross-check: its figures are the medians over its rounds (each round also kept). */
export interface CrossCheck extends CrossCheckRound {
  readonly listeners: number;
  readonly tours: number;
  readonly rounds?: readonly CrossCheckRound[];
}

/** The middle value (the mean of the middle two for an even count): one outlying round cannot move it far. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianMeasurement(ms: readonly CrowdMeasurement[]): CrowdMeasurement {
  const of = (f: (m: CrowdMeasurement) => number) => median(ms.map(f));
  return {
    client: ms[0]!.client,
    livekitCpuCores: of((m) => m.livekitCpuCores),
    livekitCpuCoresPerListener: of((m) => m.livekitCpuCoresPerListener),
    crowdCpuCoresPerListener: of((m) => m.crowdCpuCoresPerListener),
    generatorCoreBusy: of((m) => m.generatorCoreBusy),
    silent: Math.max(...ms.map((m) => m.silent)),
    failed: Math.max(...ms.map((m) => m.failed)),
  };
}

/**
 * The cross-check's figures from its rounds: the median of each crowd's figures (each figure on its own), worst
 * silent and failed. Medians, because one round's SDK sample was seen at 1.7 times the other two.
 */
export function crossCheckOfRounds(listeners: number, tours: number, rounds: readonly CrossCheckRound[]): CrossCheck {
  if (rounds.length === 0) throw new Error("a cross-check needs at least one round");
  const polled = rounds.flatMap((r) => (r.leanPolled ? [r.leanPolled] : []));
  const ports = rounds.flatMap((r) => (r.leanPorts ? [r.leanPorts] : []));
  return {
    listeners,
    tours,
    guidesOnlyLivekitCpuCores: median(rounds.map((r) => r.guidesOnlyLivekitCpuCores)),
    lean: medianMeasurement(rounds.map((r) => r.lean)),
    ...(polled.length === rounds.length ? { leanPolled: medianMeasurement(polled) } : {}),
    ...(ports.length === rounds.length ? { leanPorts: medianMeasurement(ports) } : {}),
    sdk: medianMeasurement(rounds.map((r) => r.sdk)),
    rounds,
  };
}

export interface BenchReport {
  readonly command: string;
  readonly date: string;
  readonly cpuModel: string;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly listenersPerTour: number;
  readonly probesPerTour: number;
  readonly sampledTours: number;
  /** Tours of the baseline's first step (later steps: a third of the way to the projected 80 % each). */
  readonly toursPerStep: number;
  /** Tours per step of every other lever (their last step: the baseline's last). */
  readonly leverToursPerStep: number;
  readonly settleSeconds: number;
  readonly measureSeconds: number;
  /** Share of the generator's core above which a step is invalid. */
  readonly generatorLimit: number;
  /** The baseline lever's figures, also at the top level (read by the planner). */
  readonly idle: IdleFigures;
  readonly steps: readonly StepResult[];
  readonly stopReason: string;
  readonly leverRuns: readonly LeverRun[];
  readonly crossCheck?: CrossCheck;
  /** Why the cross-check has no figures, when it failed. */
  readonly crossCheckError?: string;
}

/** How far the lean crowd's CPU per listener may be from the SDK crowd's and still count as agreeing. */
export const CROSS_CHECK_MARGIN = 0.15;

/** IPv4 20 + UDP 8 + SRTP auth tag 10 bytes that LiveKit's RTP byte counter leaves out. */
export const WIRE_OVERHEAD_BYTES_PER_PACKET = 38;

export interface LeverFigures {
  readonly name: string;
  readonly settings: LeverSettings;
  /** Calibrated to the SDK-built crowd (× crowdCalibration for a lever measured with the lean crowd). */
  readonly listenersPerCoreAt80: number;
  readonly cpuCoresPerListener: number;
  /** As measured, with the crowd that measured it. */
  readonly measuredWith: "lean" | "lean-ports" | "sdk";
  readonly measuredListenersPerCoreAt80: number;
  readonly measuredCpuCoresPerListener: number;
  readonly wireBytesPerListenerPerSecond: number;
  /** Worst p95 and loss over the lever's steps. */
  readonly latencyP95Ms: number;
  readonly loss: number;
  readonly crowdLoss: number;
  readonly validSteps: number;
  readonly maxListeners: number;
  readonly reachedCeiling: boolean;
}

/** The largest value, NaN when there is none (a lever without a valid step). */
const worst = (values: readonly number[]) => (values.length === 0 ? NaN : Math.max(...values));

const wireBytes = (s: StepResult) =>
  s.egressRtpBytesPerListenerPerSecond + s.egressPacketsPerListenerPerSecond * WIRE_OVERHEAD_BYTES_PER_PACKET;

/**
 * A lever's figures: the least-squares line through its valid steps (LiveKit's
 * CPU against listeners); with fewer than two, through idle and the one step.
 * The steps alone, because every step carries the same sampled rtc-node tours:
 * their cost is in the intercept, not in the slope.
 */
export function leverFigures(run: LeverRun, calibration = 1): LeverFigures {
  const valid = run.steps.filter((s) => s.valid);
  const points = valid.map((s) => [s.listeners, s.livekitCpuCores] as const);
  const line = fitLine(valid.length >= 2 ? points : [[0, run.idle.livekitCpuCores], ...points]);
  const last = valid[valid.length - 1];
  const measuredWith = LEVERS.find((l) => l.name === run.name)?.crowd ?? "lean";
  // Both lean crowds are calibrated: they answer LiveKit alike and differ only in their sockets.
  const k = measuredWith === "sdk" ? 1 : calibration;
  const calibrated = { slope: line.slope * k, intercept: line.intercept };
  return {
    name: run.name,
    settings: run.settings,
    listenersPerCoreAt80: xAtCeiling(calibrated),
    cpuCoresPerListener: calibrated.slope,
    measuredWith,
    measuredListenersPerCoreAt80: xAtCeiling(line),
    measuredCpuCoresPerListener: line.slope,
    wireBytesPerListenerPerSecond: last ? wireBytes(last) : NaN,
    latencyP95Ms: worst(valid.map((s) => s.latencyP95Ms)),
    loss: worst(valid.map((s) => s.lossRatio)),
    crowdLoss: worst(valid.map((s) => s.crowdLostRatio)),
    validSteps: valid.length,
    maxListeners: last?.listeners ?? 0,
    reachedCeiling: valid.some((s) => s.livekitCpuCores >= CPU_CEILING),
  };
}

export interface DerivedFigures {
  /** Share of one core each tour adds (least-squares slope), for the planner. */
  readonly cpuCoresPerTour: number;
  readonly rssMiBPerTour: number;
  readonly wireBytesPerListenerPerSecond: number;
  readonly listenersPerCoreAt80: number;
  readonly cpuCoresPerListener: number;
  readonly toursAt80PercentOfOneCore: number;
  readonly toursAt80PercentOf4Vcpu: number;
  /** The lean crowd's own CPU per listener at the baseline's last valid step. */
  readonly generatorCpuCoresPerListener: number;
  readonly crossCheckMargin?: number;
  readonly crossCheckAgrees?: boolean;
  /** The factor applied to lean-crowd figures (1 when the crowds agree). */
  readonly crowdCalibration: number;
  /** The baseline as the lean crowd measured it, before calibration. */
  readonly measuredListenersPerCoreAt80: number;
}

/**
 * How much more CPU per listener LiveKit spent on the SDK-built crowd than on
 * the lean one, when they disagree beyond the margin: phones send RTCP
 * (receiver reports, transport-wide feedback) as the SDK crowd does, so the
 * SDK crowd's figure is the one to plan with. 1 when they agree, when the lean
 * crowd cost more, or without a cross-check.
 */
export function crowdCalibration(c: CrossCheck | undefined): number {
  if (!c) return 1;
  const lean = c.lean.livekitCpuCoresPerListener;
  const sdk = c.sdk.livekitCpuCoresPerListener;
  if (!(lean > 0 && sdk > lean) || relativeMargin(lean, sdk) <= CROSS_CHECK_MARGIN) return 1;
  return sdk / lean;
}

export function derive(report: BenchReport): { derived: DerivedFigures; levers: LeverFigures[] } {
  const calibration = crowdCalibration(report.crossCheck);
  const levers = report.leverRuns.map((run) => leverFigures(run, calibration));
  const baseline = levers[0]!;
  const valid = report.steps.filter((s) => s.valid);
  const rss = fitLine([[0, report.idle.livekitRssMiB], ...valid.map((s) => [s.tours, s.livekitRssMiB] as const)]);
  const last = valid[valid.length - 1]!;
  const cpuCoresPerTour = baseline.cpuCoresPerListener * report.listenersPerTour;
  const margin = report.crossCheck
    ? relativeMargin(
        report.crossCheck.lean.livekitCpuCoresPerListener,
        report.crossCheck.sdk.livekitCpuCoresPerListener,
      )
    : undefined;
  const derived: DerivedFigures = {
    cpuCoresPerTour,
    rssMiBPerTour: rss.slope,
    wireBytesPerListenerPerSecond: baseline.wireBytesPerListenerPerSecond,
    listenersPerCoreAt80: baseline.listenersPerCoreAt80,
    cpuCoresPerListener: baseline.cpuCoresPerListener,
    toursAt80PercentOfOneCore: baseline.listenersPerCoreAt80 / report.listenersPerTour,
    toursAt80PercentOf4Vcpu: (4 * baseline.listenersPerCoreAt80) / report.listenersPerTour,
    generatorCpuCoresPerListener: last.crowdCpuCores / last.crowdListeners,
    ...(margin === undefined ? {} : { crossCheckMargin: margin, crossCheckAgrees: margin <= CROSS_CHECK_MARGIN }),
    crowdCalibration: calibration,
    measuredListenersPerCoreAt80: baseline.measuredListenersPerCoreAt80,
  };
  return { derived, levers };
}
