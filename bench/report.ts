// The figures derived from the capacity benchmark's record (bench/records.ts,
// kept in capacity.json so the report can be re-rendered): the baseline's
// line, the cross-check's medians and calibration, each lever's figures from
// its paired rounds. Pure. The files are written by bench/writeReport.ts.
import {
  CPU_CEILING,
  fitLine,
  latencyBound,
  median,
  relativeMargin,
  usable,
  wireBytesPerListenerPerSecond,
  xAtCeiling,
} from "./fit";
import { LEVERS } from "./levers";
import { BASELINE, compareInRounds, type PairedComparison } from "./pairedRounds";
import type { BenchReport, CrossCheck, CrossCheckRound, CrowdMeasurement, LeverRun, LeverSettings } from "./records";

export type * from "./records";
export { median, WIRE_OVERHEAD_BYTES_PER_PACKET } from "./fit";

/** The median of a figure every measurement has, else absent. */
function medianOfAll(values: readonly (number | undefined)[]): number | undefined {
  return values.every((v) => v !== undefined) && values.length > 0 ? median(values as number[]) : undefined;
}

function medianMeasurement(ms: readonly CrowdMeasurement[]): CrowdMeasurement {
  const of = (f: (m: CrowdMeasurement) => number) => median(ms.map(f));
  const writeShare = medianOfAll(ms.map((m) => m.livekitWriteShare));
  const outside = medianOfAll(ms.map((m) => m.livekitCpuCoresPerListenerOutsideWrites));
  return {
    ...(writeShare === undefined ? {} : { livekitWriteShare: writeShare }),
    ...(outside === undefined ? {} : { livekitCpuCoresPerListenerOutsideWrites: outside }),
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
export function crossCheckOfRounds(
  listeners: number,
  tours: number,
  rounds: readonly CrossCheckRound[],
  setup?: string,
  leanClient?: CrossCheck["leanClient"],
): CrossCheck {
  if (rounds.length === 0) throw new Error("a cross-check needs at least one round");
  const polled = rounds.flatMap((r) => (r.leanPolled ? [r.leanPolled] : []));
  const ports = rounds.flatMap((r) => (r.leanPorts ? [r.leanPorts] : []));
  const noReports = rounds.flatMap((r) => (r.leanNoReports ? [r.leanNoReports] : []));
  const phone = rounds.flatMap((r) => (r.leanPhone ? [r.leanPhone] : []));
  return {
    listeners,
    tours,
    ...(setup === undefined ? {} : { setup }),
    ...(leanClient === undefined ? {} : { leanClient }),
    guidesOnlyLivekitCpuCores: median(rounds.map((r) => r.guidesOnlyLivekitCpuCores)),
    ...optional(
      "guidesOnlyLivekitCpuCoresOutsideWrites",
      medianOfAll(rounds.map((r) => r.guidesOnlyLivekitCpuCoresOutsideWrites)),
    ),
    lean: medianMeasurement(rounds.map((r) => r.lean)),
    ...(polled.length === rounds.length ? { leanPolled: medianMeasurement(polled) } : {}),
    ...(ports.length === rounds.length ? { leanPorts: medianMeasurement(ports) } : {}),
    ...(noReports.length === rounds.length ? { leanNoReports: medianMeasurement(noReports) } : {}),
    ...(phone.length === rounds.length ? { leanPhone: medianMeasurement(phone) } : {}),
    sdk: medianMeasurement(rounds.map((r) => r.sdk)),
    rounds,
  };
}

const optional = <K extends string>(key: K, value: number | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;

/**
 * What the cross-check compares: LiveKit's CPU per listener with the lean crowd (reporting as the SDK does) and with
 * the SDK crowd — outside LiveKit's packet-write system calls when both were profiled, since over loopback those
 * calls also run each receiving socket's side (the SDK crowd's parked readers woken per packet), which on a server
 * is the phones' work; else all of LiveKit's CPU (reports before 2026-11-30 19:00).
 */
export function crossCheckBasis(c: CrossCheck): { lean: number; sdk: number; outsideWrites: boolean } {
  const lean = c.lean.livekitCpuCoresPerListenerOutsideWrites;
  const sdk = c.sdk.livekitCpuCoresPerListenerOutsideWrites;
  if (lean !== undefined && sdk !== undefined) return { lean, sdk, outsideWrites: true };
  return { lean: c.lean.livekitCpuCoresPerListener, sdk: c.sdk.livekitCpuCoresPerListener, outsideWrites: false };
}

/** How far the lean crowd's CPU per listener may be from the SDK crowd's and still count as agreeing. */
export const CROSS_CHECK_MARGIN = 0.15;

export interface LeverFigures {
  readonly name: string;
  readonly settings: LeverSettings;
  /** Calibrated to the SDK-built crowd (× crowdCalibration for a lever measured with the lean crowd). */
  readonly listenersPerCoreAt80: number;
  readonly cpuCoresPerListener: number;
  /** As measured, with the crowd that measured it. */
  readonly measuredWith: "lean" | "lean-polled" | "lean-ports" | "lean-addrs" | "sdk";
  readonly measuredListenersPerCoreAt80: number;
  readonly measuredCpuCoresPerListener: number;
  readonly wireBytesPerListenerPerSecond: number;
  /**
   * Packets a crowd listener received a second (its last valid step, or the median of its paired arms): what LiveKit
   * sent each listener, counted where it arrived (LiveKit's own counter is published in batches and lags).
   */
  readonly packetsPerListenerPerSecond: number;
  /** Worst p95 and loss over the lever's steps. */
  readonly latencyP95Ms: number;
  readonly loss: number;
  readonly crowdLoss: number;
  readonly validSteps: number;
  readonly maxListeners: number;
  readonly reachedCeiling: boolean;
  /** The lever in the paired rounds, against the baseline of each round. */
  readonly paired?: PairedComparison;
}

/** The largest value, NaN when there is none (a lever without a valid step). */
const worst = (values: readonly number[]) => (values.length === 0 ? NaN : Math.max(...values));

/**
 * A lever's figures: the least-squares line through its valid steps (LiveKit's
 * CPU against listeners); with fewer than two, through idle and the one step.
 * The steps alone, because every step carries the same sampled rtc-node tours:
 * their cost is in the intercept, not in the slope.
 */
export function leverFigures(run: LeverRun, calibration = 1): LeverFigures {
  const valid = run.steps.filter(usable);
  const points = valid.map((s) => [s.listeners, s.livekitCpuCores] as const);
  const line = fitLine(valid.length >= 2 ? points : [[0, run.idle.livekitCpuCores], ...points]);
  const last = valid[valid.length - 1];
  const measuredWith = run.crowd ?? LEVERS.find((l) => l.name === run.name)?.crowd ?? "lean";
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
    wireBytesPerListenerPerSecond: last ? wireBytesPerListenerPerSecond(last) : NaN,
    packetsPerListenerPerSecond: last?.crowdPacketsPerListenerPerSecond ?? NaN,
    latencyP95Ms: worst(valid.map((s) => s.latencyP95Ms)),
    loss: worst(valid.map((s) => s.lossRatio)),
    crowdLoss: worst(valid.map((s) => s.crowdLostRatio)),
    validSteps: valid.length,
    maxListeners: last?.listeners ?? 0,
    reachedCeiling: valid.some((s) => s.livekitCpuCores >= CPU_CEILING),
  };
}

/**
 * A lever's figures from its paired rounds: the baseline's line with its slope
 * (CPU per listener) scaled by the lever's median ratio to the baseline of its
 * own round, its intercept (idle, the sampled tours) kept. So listeners per
 * core at 80 % are the baseline's over that ratio, calibrated as the
 * baseline's are.
 */
export function pairedLeverFigures(baseline: LeverFigures, c: PairedComparison): LeverFigures {
  const r = c.medianRatio;
  return {
    name: c.name,
    settings: c.settings,
    listenersPerCoreAt80: baseline.listenersPerCoreAt80 / r,
    cpuCoresPerListener: baseline.cpuCoresPerListener * r,
    measuredWith: baseline.measuredWith,
    measuredListenersPerCoreAt80: baseline.measuredListenersPerCoreAt80 / r,
    measuredCpuCoresPerListener: baseline.measuredCpuCoresPerListener * r,
    wireBytesPerListenerPerSecond: c.wireBytesPerListenerPerSecond,
    packetsPerListenerPerSecond: c.packetsPerListenerPerSecond,
    latencyP95Ms: c.latencyP95Ms,
    loss: c.loss,
    crowdLoss: c.crowdLoss,
    validSteps: c.measuredArms,
    maxListeners: c.listeners,
    reachedCeiling: false,
    paired: c,
  };
}

/** Every lever's figures: from the paired rounds when the report has them, else from each lever's own ramp. */
function leversOf(report: BenchReport, calibration: number): LeverFigures[] {
  const ramp = leverFigures(report.leverRuns[0]!, calibration);
  if (!report.leverRounds) return report.leverRuns.map((run) => leverFigures(run, calibration));
  const compared = compareInRounds(report.leverRounds);
  const base = compared.find((c) => c.name === BASELINE);
  return [
    { ...ramp, ...(base ? { paired: base } : {}) },
    ...compared.filter((c) => c.name !== BASELINE).map((c) => pairedLeverFigures(ramp, c)),
  ];
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
  /**
   * Listeners per core the ramp held with the probes' latency p95 under 200 ms, calibrated as the CPU figures are,
   * when a later step went over (absent: latency did not bind within the ramp); the planner's latency bound.
   */
  readonly listenersPerCoreWithinLatency?: number;
  /** LiveKit's CPU at that step. */
  readonly livekitCpuWithinLatency?: number;
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
  const { lean, sdk } = crossCheckBasis(c);
  if (!(lean > 0 && sdk > lean) || relativeMargin(lean, sdk) <= CROSS_CHECK_MARGIN) return 1;
  return sdk / lean;
}

export function derive(report: BenchReport): { derived: DerivedFigures; levers: LeverFigures[] } {
  const calibration = crowdCalibration(report.crossCheck);
  const levers = leversOf(report, calibration);
  const baseline = levers[0]!;
  const valid = report.steps.filter(usable);
  const rss = fitLine([[0, report.idle.livekitRssMiB], ...valid.map((s) => [s.tours, s.livekitRssMiB] as const)]);
  const last = valid[valid.length - 1]!;
  const cpuCoresPerTour = baseline.cpuCoresPerListener * report.listenersPerTour;
  const basis = report.crossCheck ? crossCheckBasis(report.crossCheck) : undefined;
  const margin = basis ? relativeMargin(basis.lean, basis.sdk) : undefined;
  const bound = latencyBound(report.steps, calibration);
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
    ...(bound
      ? { listenersPerCoreWithinLatency: bound.listeners, livekitCpuWithinLatency: bound.livekitCpuCores }
      : {}),
  };
  return { derived, levers };
}
