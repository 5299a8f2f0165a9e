// Made-up benchmark steps whose answers are known, for the report's tests.
import type { BenchReport, LeverRun, StepResult } from "../../bench/records";

/** A step of `tours` tours of 30 on a LiveKit costing `perListener` cores per listener over 2 % idle. */
export const step = (tours: number, perListener: number, change: Partial<StepResult> = {}): StepResult => ({
  tours,
  listeners: tours * 30,
  livekitCpuCores: 0.02 + perListener * tours * 30,
  livekitRssMiB: 50 + 4 * tours,
  livekitCoreBusy: 0.03 + perListener * tours * 30,
  generatorCoreBusy: 0.1 * tours,
  generatorCpuCores: 0.09 * tours,
  crowdCpuCores: 0.06 * tours,
  crowdListeners: tours * 30 - 6,
  egressRtpBytesPerListenerPerSecond: 7000,
  egressPacketsPerListenerPerSecond: 50,
  latencyP50Ms: 40 + tours,
  latencyP95Ms: 60 + tours,
  lossRatio: 0.001 * tours,
  joinP95Ms: 900,
  crowdLostRatio: 0.0001 * tours,
  crowdSilent: 0,
  crowdFailed: 0,
  joinRetries: 0,
  crowdPacketsPerListenerPerSecond: 50,
  crowdBytesPerListenerPerSecond: 7000,
  valid: true,
  ...change,
});

/** A report whose baseline ramp is `baseline` (its steps, idle and stop reason at the top level too). */
export function reportWith(
  baseline: LeverRun,
  rest: Pick<BenchReport, "leverRuns"> & Partial<BenchReport>,
): BenchReport {
  return {
    command: "npm run bench:capacity",
    date: "2026-11-30T06:00:00Z",
    cpuModel: "test cpu",
    loadAverage: { before: [0.5, 1, 2], after: [1.2, 1, 1.5] },
    listenersPerTour: 30,
    probesPerTour: 3,
    sampledTours: 2,
    toursPerStep: 10,
    settleSeconds: 5,
    measureSeconds: 10,
    generatorLimit: 0.95,
    idle: baseline.idle,
    steps: baseline.steps,
    stopReason: "LiveKit reached 80 % of its core",
    ...rest,
  };
}
