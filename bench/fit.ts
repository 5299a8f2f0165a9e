// The benchmark's arithmetic, pure: a least-squares line through measured
// points, where it crosses 80 % of a core, and how far two measurements of
// the same quantity are apart, and where the ramp's latency left its budget.
// Tested alone (test/unit/benchFit.test.ts).
import type { StepResult } from "./records";

/** The share of LiveKit's core the benchmark plans to: above it, latency rises and there is no headroom. */
export const CPU_CEILING = 0.8;

export interface Line {
  readonly slope: number;
  readonly intercept: number;
}

/** The middle value (the mean of the middle two for an even count): one outlying round cannot move it far. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** IPv4 20 + UDP 8 + SRTP auth tag 10 bytes that LiveKit's RTP byte counter leaves out. */
export const WIRE_OVERHEAD_BYTES_PER_PACKET = 38;

/** What a listener costs on the wire: LiveKit's RTP byte counter plus the per-packet overhead it leaves out. */
export function wireBytesPerListenerPerSecond(step: {
  readonly egressRtpBytesPerListenerPerSecond: number;
  readonly egressPacketsPerListenerPerSecond: number;
}): number {
  return (
    step.egressRtpBytesPerListenerPerSecond + step.egressPacketsPerListenerPerSecond * WIRE_OVERHEAD_BYTES_PER_PACKET
  );
}

/**
 * Share of a step's crowd that may be silent (no packet in the last second) and the step still count: beyond it,
 * LiveKit or the guides stopped sending — an overloaded LiveKit, a guide that did not publish — and the step
 * measured that, not the load.
 */
export const SILENT_LIMIT = 0.05;

/** A step that measured the load: the generator's core had room (valid) and the crowd heard its guides. */
export function usable(step: {
  readonly valid: boolean;
  readonly crowdSilent: number;
  readonly crowdListeners: number;
}): boolean {
  return step.valid && step.crowdSilent <= SILENT_LIMIT * step.crowdListeners;
}

/** Why a step does not count, or "" when it does. */
export function unusableBecause(step: {
  readonly valid: boolean;
  readonly crowdSilent: number;
  readonly crowdListeners: number;
}): string {
  if (!step.valid) return "the generator's core was saturated";
  if (!usable(step)) return `${step.crowdSilent} of ${step.crowdListeners} crowd listeners were silent`;
  return "";
}

/** Least-squares line y = intercept + slope·x; one point gives the line through the origin. */
export function fitLine(points: readonly (readonly [number, number])[]): Line {
  const n = points.length;
  if (n === 0) return { slope: NaN, intercept: NaN };
  if (n === 1) return { slope: points[0]![1] / points[0]![0], intercept: 0 };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const slope = num / den;
  return { slope, intercept: my - slope * mx };
}

/** Where the line reaches `ceiling` (share of one core): listeners per core at 80 % when x is listeners. */
export function xAtCeiling(line: Line, ceiling = CPU_CEILING): number {
  return line.slope > 0 ? (ceiling - line.intercept) / line.slope : NaN;
}

/** |a − b| relative to b: how far a measurement (a) is from the reference (b). */
export function relativeMargin(a: number, reference: number): number {
  return Math.abs(a - reference) / reference;
}

/**
 * Tours per step after the first, so that `steps` more equal steps reach the
 * ceiling if CPU stays linear: the line through idle and the first step gives
 * where the ceiling is. At least one tour.
 */
export function toursPerStepToCeiling(
  idle: number,
  first: { readonly listeners: number; readonly cpu: number },
  listenersPerTour: number,
  steps: number,
): number {
  const atCeiling = xAtCeiling(
    fitLine([
      [0, idle],
      [first.listeners, first.cpu],
    ]),
  );
  if (!Number.isFinite(atCeiling)) return 1;
  return Math.max(1, Math.ceil((atCeiling - first.listeners) / steps / listenersPerTour));
}

/** The product's budget: a listener hears the guide within 200 ms (the developers' guide, the smoke test's default). */
export const LATENCY_BUDGET_MS = 200;

/** Where the ramp's audio latency left the budget, if it did. */
export interface LatencyBound {
  /** The most listeners (divided by the crowd's calibration) of a step before the first over budget; 0 if the first was. */
  readonly listeners: number;
  /** LiveKit's CPU at that step (share of its core); 0 if the first step was over budget. */
  readonly livekitCpuCores: number;
  /** The first step over budget: its listeners and the probes' p95. */
  readonly overAt: { readonly listeners: number; readonly latencyP95Ms: number };
}

/**
 * The ramp's latency bound: the valid steps in order until the first whose probes' p95 reached the budget. Its
 * predecessor is the most listeners the budget was seen to hold; undefined when no valid step reached it (latency did
 * not bind within the ramp). The listeners are divided by the calibration, as the CPU figures are multiplied by it: a
 * crowd that costs LiveKit k times more per listener loads it as much with 1/k of them.
 */
export function latencyBound(
  steps: readonly Pick<
    StepResult,
    "valid" | "crowdSilent" | "crowdListeners" | "listeners" | "latencyP95Ms" | "livekitCpuCores"
  >[],
  calibration = 1,
): LatencyBound | undefined {
  const valid = steps.filter(usable);
  const over = valid.findIndex((s) => s.latencyP95Ms >= LATENCY_BUDGET_MS);
  if (over < 0) return undefined;
  const held = valid[over - 1];
  const first = valid[over]!;
  return {
    listeners: held ? held.listeners / calibration : 0,
    livekitCpuCores: held?.livekitCpuCores ?? 0,
    overAt: { listeners: first.listeners, latencyP95Ms: first.latencyP95Ms },
  };
}
