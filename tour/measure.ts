// One tour measured: the guide's markers against what each listener heard,
// in a time window, as latency percentiles, loss and join times. The e2e
// test, the smoke command and the capacity benchmark all measure with this.
import { MARKER_EVERY_MS } from "./audio";
import { percentile } from "./stats";

export interface EarReport {
  readonly latenciesMs: number[];
  readonly expected: number;
  readonly heard: number;
}

/** Matches onsets to markers; only markers sent while the listener was listening count. */
export function analyse(markers: readonly number[], onsets: readonly number[], window: MeasureWindow): EarReport {
  const expected = markers.filter((m) => m >= window.from && m <= window.to);
  const latencies: number[] = [];
  for (const m of expected) {
    const onset = onsets.find((o) => o >= m && o - m < MARKER_EVERY_MS);
    if (onset !== undefined) latencies.push(onset - m);
  }
  return { latenciesMs: latencies, expected: expected.length, heard: latencies.length };
}

/** Share of markers not heard; a window in which nothing was expected counts as all lost. */
export function lossRatio(expected: number, heard: number): number {
  return expected === 0 ? 1 : 1 - heard / expected;
}

export interface MeasureWindow {
  readonly from: number;
  readonly to: number;
}

export interface TourInput {
  /** When the guide sent each marker (wall-clock ms). */
  readonly markers: readonly number[];
  /** Each measured listener's onsets (wall-clock ms). */
  readonly ears: readonly (readonly number[])[];
  readonly window: MeasureWindow;
  /** How long each listener took to join, if the caller timed it. */
  readonly joinMs?: readonly number[];
}

export interface TourMeasurement {
  readonly perListener: readonly EarReport[];
  readonly latenciesMs: readonly number[];
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly markersExpected: number;
  readonly markersHeard: number;
  readonly lossRatio: number;
  readonly joinP50Ms: number;
  readonly joinP95Ms: number;
}

export function measureTour(input: TourInput): TourMeasurement {
  return measureTours([input]);
}

/** Several tours measured over their windows, as one. */
export function measureTours(inputs: readonly TourInput[]): TourMeasurement {
  const perListener = inputs.flatMap((t) => t.ears.map((onsets) => analyse(t.markers, onsets, t.window)));
  const latenciesMs = perListener.flatMap((r) => r.latenciesMs);
  const markersExpected = perListener.reduce((n, r) => n + r.expected, 0);
  const markersHeard = perListener.reduce((n, r) => n + r.heard, 0);
  const joinMs = inputs.flatMap((t) => t.joinMs ?? []);
  return {
    perListener,
    latenciesMs,
    latencyP50Ms: percentile(latenciesMs, 50),
    latencyP95Ms: percentile(latenciesMs, 95),
    markersExpected,
    markersHeard,
    lossRatio: lossRatio(markersExpected, markersHeard),
    joinP50Ms: percentile(joinMs, 50),
    joinP95Ms: percentile(joinMs, 95),
  };
}
