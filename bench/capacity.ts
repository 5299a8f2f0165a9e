// Capacity benchmark: LiveKit alone on one core (a cpuset, no quota), the
// load generator on the other. A cross-check first measures LiveKit's CPU per
// listener with the lean Go crowd and with an SDK-built one at the same
// count; then the rendered configuration with a phone's publish defaults (the
// baseline) takes tours of listeners step by step on a fresh LiveKit until it
// uses 80 % of its core; then every lever — one change at a time, on the
// guide's side or livekit.yaml's — runs in paired rounds against the
// baseline (bench/pairedRounds.ts). The report
// (bench/results/capacity.{json,md,png}) sets the levers side by side.
//
//   npm run bench:capacity -- [--levers all] [--tours-per-step 4] [--max-steps 8] [--lever-rounds 5] [--cross-check 210]
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { startLocalPlatform } from "../local/platform";
import { type Cli, InputError, numberOption, runCli } from "../scripts/cli";
import { checkOutFolder, type OutFolder } from "../scripts/outFolder";
import { disposeClients } from "../tour/rooms";
import { isolateCores } from "./cpuset";
import { crossCheck } from "./crossCheck";
import { moveFixedPorts, pickFixedPorts } from "./livekitUnderTest";
import { chooseLevers, type Lever, LEVERS } from "./levers";
import type { BenchReport, CrossCheck, LeverRun } from "./records";
import { usable } from "./fit";
import { runLeverRounds } from "./leverRounds";
import { type BenchContext, runLever, settingsOf, type StepPlan } from "./steps";
import { PROBES_PER_TOUR, tourPool } from "./tours";
import { writeReport } from "./writeReport";

const SPEC = {
  usage: "usage: npm run bench:capacity -- [--levers all] [--tours-per-step 4] [--max-steps 8] [--lever-rounds 5]",
  help: `
Gives LiveKit core 0 alone (a cgroup v1 cpuset, no CPU quota) and runs everything
else on core 1. Measures LiveKit's CPU per listener with the lean Go crowd and
with an SDK-built crowd at the same count (--cross-check); then adds tours of
--listeners listeners to a fresh LiveKit with the rendered configuration step by
step until it uses 80 % of its core, the generator's core saturates, or
--max-steps run out (the baseline); then runs every lever, the baseline too, once
per round for --lever-rounds rounds, each on a fresh LiveKit at --lever-tours
tours with the lean-addrs crowd, and compares each with the baseline of its own
round. Writes the report (capacity.json, .md, .png) to --out.
Needs root (cgroups), two cores and the Go tools (scripts/build-tools.sh bench).

  --levers <names>        "all", or levers by name, comma-separated (the baseline always runs):
                          ${LEVERS.map((l) => l.name).join("; ")}
  --listeners <n>         listeners per tour (default 30)
  --tours-per-step <n>    tours of the baseline's first step; its later steps are sized to reach 80 %
                          in three more (default 4)
  --max-steps <n>         most steps of the baseline's ramp (default 8)
  --lever-rounds <n>      rounds of the levers, each lever once per round in a rotated order (default 5)
  --lever-tours <n>       tours of every lever's step in the rounds (default: three quarters of the
                          baseline's last valid step, so that no lever saturates LiveKit's core)
  --sampled-tours <n>     tours with an rtc-node guide and ${PROBES_PER_TOUR} rtc-node probes timing the audio
                          (default 2; the rounds' steps have one)
  --cross-check <n>       listeners of the lean-against-SDK cross-check, 0 to skip it (default 210)
  --cross-check-rounds <n>  rounds of the cross-check, each crowd once per round (default 5)
  --generator-limit <share>  a step at which the generator's core (core 1) was busier than this is invalid,
                          left out of the fits, and ends the lever's ramp (default 0.95)
  --settle <seconds>      wait after a step's tours joined, before measuring (default 4)
  --measure <seconds>     measure each step for this long (default 8)
  --out <dir>             where to write the report (default bench/results)
  --livekit-profile <dir> the baseline's ramp and each lever's first round write LiveKit's CPU profile
                          there (livekit-<lever>.pprof; read with \`go tool pprof -top\`)
  -h, --help              this text
`,
  options: {
    levers: { type: "string", default: "all" },
    listeners: { type: "string", default: "30" },
    "tours-per-step": { type: "string", default: "4" },
    "max-steps": { type: "string", default: "8" },
    "lever-rounds": { type: "string", default: "5" },
    "lever-tours": { type: "string" },
    "sampled-tours": { type: "string", default: "2" },
    "cross-check": { type: "string", default: "210" },
    "cross-check-rounds": { type: "string", default: "5" },
    "generator-limit": { type: "string", default: "0.95" },
    settle: { type: "string", default: "4" },
    measure: { type: "string", default: "8" },
    out: { type: "string", default: join(__dirname, "results") },
    "livekit-profile": { type: "string" },
  },
} as const;

interface BenchOptions {
  readonly levers: Lever[];
  readonly baseline: StepPlan;
  readonly leverRounds: number;
  readonly leverTours?: number;
  readonly crossCheckListeners: number;
  readonly crossCheckRounds: number;
  readonly out: OutFolder;
  readonly livekitProfile?: OutFolder;
}

async function runBench(options: BenchOptions, command: string): Promise<void> {
  const before = loadavg();
  const isolation = isolateCores();
  try {
    const fixed = await pickFixedPorts();
    const platform = await startLocalPlatform({
      listenersPerTour: options.baseline.listenersPerTour,
      // Its LiveKit only starts and stops; its fixed ports must not clash with another LiveKit on this machine.
      livekitConfig: (config) => moveFixedPorts(config, fixed),
    });
    // Each lever starts its own LiveKit on LiveKit's core; the platform's is not measured.
    await platform.livekit.stop();
    options.livekitProfile?.create();
    const ctx: BenchContext = {
      platform,
      isolation,
      pool: tourPool(platform, options.baseline.listenersPerTour),
      ...(options.livekitProfile ? { livekitProfileDir: options.livekitProfile.path } : {}),
    };
    try {
      const plan = options.baseline;
      const tours = Math.ceil(options.crossCheckListeners / plan.listenersPerTour);
      let checked: CrossCheck | undefined;
      let crossCheckError: string | undefined;
      if (tours > 0) {
        try {
          checked = await crossCheck(ctx, {
            tours,
            settleMs: plan.settleMs,
            measureMs: plan.measureMs,
            rounds: options.crossCheckRounds,
          });
        } catch (error) {
          crossCheckError = (error as Error).message.slice(0, 500);
          console.log(`cross-check failed: ${crossCheckError}`);
        }
      }
      const baseline = await leverOrFailure(ctx, options.levers[0]!, { ...plan, adaptiveSteps: true });
      const leverRounds = await runLeverRounds(ctx, options.levers, {
        rounds: options.leverRounds,
        tours: options.leverTours ?? leverToursFrom(baseline, plan.listenersPerTour),
        sampledTours: Math.min(1, plan.sampledTours),
        crowd: LEVER_ROUNDS_CROWD,
        step: plan,
      });
      const report: BenchReport = {
        command,
        date: new Date().toISOString(),
        cpuModel: cpus()[0]?.model ?? "unknown",
        loadAverage: { before, after: loadavg() },
        listenersPerTour: plan.listenersPerTour,
        probesPerTour: PROBES_PER_TOUR,
        sampledTours: plan.sampledTours,
        toursPerStep: plan.toursPerStep,
        settleSeconds: plan.settleMs / 1000,
        measureSeconds: plan.measureMs / 1000,
        generatorLimit: plan.generatorLimit,
        idle: baseline.idle,
        steps: baseline.steps,
        stopReason: baseline.stopReason,
        leverRuns: [baseline],
        leverRounds,
        ...(checked ? { crossCheck: checked } : {}),
        ...(crossCheckError ? { crossCheckError } : {}),
      };
      options.out.create();
      await writeReport(options.out.path, report);
      console.log(`report written to ${options.out.path}`);
    } finally {
      await disposeClients();
      await platform.stop();
    }
  } finally {
    isolation.release();
  }
}

/**
 * The crowd of the rounds: an address per listener on one shared socket is the cheapest crowd that can measure the
 * rendered mux (LiveKit's UDP mux tells its peers apart by address) and the port range alike.
 */
const LEVER_ROUNDS_CROWD = "lean-addrs";

/** Three quarters of the baseline's last valid step: every lever's LiveKit stays below its core's ceiling. */
function leverToursFrom(baseline: LeverRun, listenersPerTour: number): number {
  const last = baseline.steps.filter(usable).at(-1);
  if (!last)
    throw new Error(`the baseline measured no valid step (${baseline.stopReason}); nothing to compare the levers with`);
  return Math.max(1, Math.round((0.75 * last.listeners) / listenersPerTour));
}

/** A lever that failed outright (its LiveKit did not start, a loadgen exited) is reported as such; the others still run. */
async function leverOrFailure(ctx: BenchContext, lever: Lever, plan: StepPlan): Promise<LeverRun> {
  try {
    return await runLever(ctx, lever, plan);
  } catch (error) {
    const reason = `failed: ${(error as Error).message.slice(0, 500)}`;
    console.log(`lever "${lever.name}" ${reason}`);
    return {
      name: lever.name,
      settings: settingsOf(lever),
      idle: { livekitCpuCores: NaN, livekitRssMiB: NaN },
      steps: [],
      stopReason: reason,
    };
  }
}

function leversOption(raw: string): Lever[] {
  try {
    return chooseLevers(raw.trim() === "all" ? "all" : raw.split(","));
  } catch (error) {
    throw new InputError(`--levers: ${(error as Error).message}`);
  }
}

function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const { values } = cli;
  type Whole = "listeners" | "tours-per-step" | "max-steps" | "lever-rounds" | "cross-check-rounds";
  const whole = (name: Whole) => numberOption(name, values[name], { integer: true, above: 0 });
  const count = (name: "sampled-tours" | "cross-check") =>
    numberOption(name, values[name], { integer: true, atLeast: 0 });
  const seconds = (name: "measure" | "settle") => numberOption(name, values[name], { above: 0 }) * 1000;
  const options: BenchOptions = {
    levers: leversOption(values.levers),
    baseline: {
      listenersPerTour: whole("listeners"),
      toursPerStep: whole("tours-per-step"),
      maxSteps: whole("max-steps"),
      adaptiveSteps: true,
      sampledTours: count("sampled-tours"),
      settleMs: seconds("settle"),
      measureMs: seconds("measure"),
      generatorLimit: numberOption("generator-limit", values["generator-limit"], { above: 0, atMost: 1 }),
    },
    leverRounds: whole("lever-rounds"),
    ...(values["lever-tours"] === undefined
      ? {}
      : { leverTours: numberOption("lever-tours", values["lever-tours"], { integer: true, above: 0 }) }),
    crossCheckListeners: count("cross-check"),
    crossCheckRounds: whole("cross-check-rounds"),
    // Refused now, not after the whole run.
    out: checkOutFolder("--out", values.out),
    ...(values["livekit-profile"] === undefined
      ? {}
      : { livekitProfile: checkOutFolder("--livekit-profile", values["livekit-profile"]) }),
  };
  if (options.baseline.listenersPerTour <= PROBES_PER_TOUR && options.baseline.sampledTours > 0)
    throw new InputError(
      `--listeners must be above ${PROBES_PER_TOUR} (the probes of a sampled tour), or --sampled-tours 0`,
    );
  const args = process.argv.slice(2);
  const command = args.length > 0 ? `npm run bench:capacity -- ${args.join(" ")}` : "npm run bench:capacity";
  return runBench(options, command).then(() => 0);
}

if (require.main === module) runCli(SPEC, main, { forceExit: true });
