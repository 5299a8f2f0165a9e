// The levers' paired rounds, compared: in each round, a lever's LiveKit CPU
// per listener over the baseline's of the same round. On this VM one sample
// of the same setting swings by up to a third between minutes, and a slope
// measured per lever an hour apart carries that drift into the comparison;
// a ratio within one round cancels whatever the round's neighbours did. A
// lever is called cheaper (or dearer) only when it was so in every round.
// Pure.
import { median, unusableBecause, usable, wireBytesPerListenerPerSecond } from "./fit";
import type { LeverArm, LeverRounds, LeverSettings, StepResult } from "./records";

export const BASELINE = "baseline";

/** What a lever cost in one round: only arms that measured a valid step count. */
type MeasuredArm = LeverArm & { readonly step: StepResult };

const measured = (arm: LeverArm | undefined): arm is MeasuredArm => arm?.step !== undefined && usable(arm.step);

/** LiveKit's CPU per listener in one arm, above its idle: the guides' share rides along, as in every tour. */
export function armCpuPerListener(arm: MeasuredArm): number {
  return (arm.step.livekitCpuCores - arm.idle.livekitCpuCores) / arm.step.listeners;
}

export type Verdict = "cheaper in every round" | "dearer in every round" | "not resolved" | "not measured";

export interface PairedComparison {
  readonly name: string;
  readonly settings: LeverSettings;
  /** Per round where both this lever and that round's baseline measured: this lever's CPU per listener over the baseline's. */
  readonly ratios: readonly number[];
  readonly medianRatio: number;
  readonly verdict: Verdict;
  /** This lever's own CPU per listener, median over its measured arms, with the rounds' crowd. */
  readonly cpuCoresPerListener: number;
  readonly listeners: number;
  readonly wireBytesPerListenerPerSecond: number;
  /** Packets each crowd listener received a second, median over the lever's measured arms. */
  readonly packetsPerListenerPerSecond: number;
  /** Worst over the lever's arms. */
  readonly latencyP95Ms: number;
  readonly loss: number;
  readonly crowdLoss: number;
  readonly measuredArms: number;
  readonly arms: number;
  /** Why arms did not measure: a failure, or the generator's core saturated. */
  readonly problems: readonly string[];
}

/** A verdict needs two rounds at least; one round that disagrees with the others leaves it unresolved. */
export function verdictOf(ratios: readonly number[]): Verdict {
  if (ratios.length === 0) return "not measured";
  if (ratios.length < 2) return "not resolved";
  if (ratios.every((r) => r < 1)) return "cheaper in every round";
  if (ratios.every((r) => r > 1)) return "dearer in every round";
  return "not resolved";
}

const worst = (values: readonly number[]) => (values.length === 0 ? NaN : Math.max(...values));

function problemsOf(name: string, rounds: LeverRounds): string[] {
  return rounds.rounds.flatMap((round, i) => {
    const arm = round.arms.find((a) => a.lever === name);
    if (!arm) return [];
    if (arm.failure) return [`round ${i + 1}: ${arm.failure.split("\n")[0]}`];
    if (arm.step && !usable(arm.step)) return [`round ${i + 1}: ${unusableBecause(arm.step)}`];
    return [];
  });
}

/** Every lever of the rounds, in the order of the first round's arms sorted baseline first, compared with the baseline. */
export function compareInRounds(rounds: LeverRounds): PairedComparison[] {
  const names = [...new Set(rounds.rounds.flatMap((r) => r.arms.map((a) => a.lever)))];
  names.sort((a, b) => Number(b === BASELINE) - Number(a === BASELINE));
  return names.map((name) => {
    const arms = rounds.rounds.map((r) => r.arms.find((a) => a.lever === name));
    const mine = arms.filter(measured);
    const ratios = rounds.rounds.flatMap((r) => {
      const arm = r.arms.find((a) => a.lever === name);
      const base = r.arms.find((a) => a.lever === BASELINE);
      return measured(arm) && measured(base) ? [armCpuPerListener(arm) / armCpuPerListener(base)] : [];
    });
    const steps = mine.map((a) => a.step);
    return {
      name,
      settings: arms.find((a) => a !== undefined)!.settings,
      ratios,
      medianRatio: ratios.length > 0 ? median(ratios) : NaN,
      verdict: name === BASELINE ? "not resolved" : verdictOf(ratios),
      cpuCoresPerListener: mine.length > 0 ? median(mine.map(armCpuPerListener)) : NaN,
      listeners: steps[0]?.listeners ?? 0,
      wireBytesPerListenerPerSecond: steps.length > 0 ? median(steps.map(wireBytesPerListenerPerSecond)) : NaN,
      packetsPerListenerPerSecond:
        steps.length > 0 ? median(steps.map((s) => s.crowdPacketsPerListenerPerSecond)) : NaN,
      latencyP95Ms: worst(steps.map((s) => s.latencyP95Ms).filter(Number.isFinite)),
      loss: worst(steps.map((s) => s.lossRatio)),
      crowdLoss: worst(steps.map((s) => s.crowdLostRatio)),
      measuredArms: mine.length,
      arms: arms.filter((a) => a !== undefined).length,
      problems: problemsOf(name, rounds),
    };
  });
}

/** The baseline's own arms against their median: how far one setting drifts between rounds on this machine. */
export function baselineDrift(rounds: LeverRounds): { low: number; high: number } | undefined {
  const costs = rounds.rounds.flatMap((r) => {
    const arm = r.arms.find((a) => a.lever === BASELINE);
    return measured(arm) ? [armCpuPerListener(arm)] : [];
  });
  if (costs.length < 2) return undefined;
  const mid = median(costs);
  return { low: Math.min(...costs) / mid, high: Math.max(...costs) / mid };
}

/** Round r's order: the levers rotated by r, so no lever always runs first, last or after the same neighbour. */
export function roundOrder<T>(levers: readonly T[], round: number): T[] {
  const k = levers.length === 0 ? 0 : round % levers.length;
  return [...levers.slice(k), ...levers.slice(0, k)];
}
