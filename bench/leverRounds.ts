// Every lever, the baseline too, in paired rounds (bench/pairedRounds.ts says
// why): each round runs each lever once — a fresh LiveKit with its settings,
// one step of the same tours, measured, stopped — in an order rotated by one
// each round, all with the one crowd that can measure every lever.
import { sleep } from "../tour/time";
import type { Lever } from "./levers";
import { roundOrder } from "./pairedRounds";
import type { LeverArm, LeverRounds } from "./records";
import { type BenchContext, runLever, settingsOf, type StepPlan } from "./steps";

export interface LeverRoundsPlan {
  readonly rounds: number;
  readonly tours: number;
  readonly sampledTours: number;
  readonly crowd: LeverRounds["crowd"];
  /** The baseline's plan: listeners per tour, settle, measure, the generator's limit. */
  readonly step: StepPlan;
}

async function runArm(ctx: BenchContext, lever: Lever, plan: LeverRoundsPlan, round: number): Promise<LeverArm> {
  const stepPlan: StepPlan = {
    ...plan.step,
    toursPerStep: plan.tours,
    maxSteps: 1,
    adaptiveSteps: false,
    sampledTours: plan.sampledTours,
  };
  try {
    // Profiles, when asked for, come from the first round: each one holds LiveKit's exit for up to 45 s.
    const run = await runLever(ctx, lever, stepPlan, { crowd: plan.crowd, profile: round === 0 }).catch(
      async (error: Error) => {
        // A LiveKit that exits while starting (seen once, with status 0, right after a saturated ramp) gets one
        // more try: an arm lost costs its whole round a baseline.
        console.log(`[${lever.name}] round ${round + 1}: ${error.message.split("\n")[0]}; trying once more`);
        await sleep(5000);
        return runLever(ctx, lever, stepPlan, { crowd: plan.crowd, profile: false });
      },
    );
    const step = run.steps[0];
    return {
      lever: lever.name,
      settings: run.settings,
      idle: run.idle,
      ...(step ? { step } : { failure: run.stopReason.slice(0, 300) }),
    };
  } catch (error) {
    const failure = `failed: ${(error as Error).message.slice(0, 300)}`;
    console.log(`[${lever.name}] round ${round + 1}: ${failure}`);
    return {
      lever: lever.name,
      settings: settingsOf(lever),
      idle: { livekitCpuCores: NaN, livekitRssMiB: NaN },
      failure,
    };
  }
}

export async function runLeverRounds(
  ctx: BenchContext,
  levers: readonly Lever[],
  plan: LeverRoundsPlan,
): Promise<LeverRounds> {
  const rounds: { arms: LeverArm[] }[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    const arms: LeverArm[] = [];
    for (const lever of roundOrder(levers, round)) {
      console.log(`round ${round + 1} of ${plan.rounds}, lever "${lever.name}"`);
      arms.push(await runArm(ctx, lever, plan, round));
    }
    rounds.push({ arms });
  }
  return { tours: plan.tours, sampledTours: plan.sampledTours, crowd: plan.crowd, rounds };
}
