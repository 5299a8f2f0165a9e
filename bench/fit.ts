// The benchmark's arithmetic, pure: a least-squares line through measured
// points, where it crosses 80 % of a core, and how far two measurements of
// the same quantity are apart. Tested alone (test/unit/benchFit.test.ts).

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
