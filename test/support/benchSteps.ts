// Made-up benchmark steps whose answers are known, for the report's tests.
import type { StepResult } from "../../bench/records";

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
