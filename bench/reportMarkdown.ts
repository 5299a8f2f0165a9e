// capacity.md: the lever table first (what operators and the guide app
// choose from), then the cross-check, the baseline's steps, the generator's
// own cost and the planning figures. Pure: text from the report's figures.
import { delayCell } from "./crowdDelay";
import { crossCheckText } from "./crossCheckMarkdown";
import { pairedLeverTable, pairedRoundsExplained, roundsTable } from "./leverRoundsMarkdown";
import { CPU_CEILING, LATENCY_BUDGET_MS, latencyBound, SILENT_LIMIT, usable } from "./fit";
import { describeLever, LEVERS } from "./levers";
import { packetBudgetRow, packetBudgetText } from "./packetBudget";
import {
  type BenchReport,
  CROSS_CHECK_MARGIN,
  type DerivedFigures,
  type LeverFigures,
  type StepResult,
  WIRE_OVERHEAD_BYTES_PER_PACKET,
} from "./report";

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
const whole = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-GB") : "—");
/** Cores per 1,000 listeners, from cores per listener. */
const perThousand = (x: number) => (x * 1000).toFixed(3);
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "—");

/** The levers side by side; listeners per core are a projection when the lever's ramp stopped below 80 %. */
export function leverTable(levers: readonly LeverFigures[]): string {
  const describe = (l: LeverFigures) => {
    const known = LEVERS.find((k) => k.name === l.name);
    return known ? describeLever(known) : "";
  };
  const rows = levers.map(
    (l) =>
      `| ${l.name} | ${describe(l)} | ${whole(l.listenersPerCoreAt80)}${l.reachedCeiling ? "" : " (projected)"} | ${whole(l.measuredListenersPerCoreAt80)} (${l.measuredWith}) | ${perThousand(l.cpuCoresPerListener)} | ${(l.wireBytesPerListenerPerSecond / 1000).toFixed(2)} | ${ms(l.latencyP95Ms)} | ${pct(l.loss, 2)} / ${pct(l.crowdLoss, 3)} | ${l.validSteps}, up to ${whole(l.maxListeners)} |`,
  );
  return [
    "| lever | guide publishes; server | listeners per core at 80 % | as measured (crowd) | LiveKit cores per 1,000 listeners | wire kB/s per listener | latency p95 ms | loss: probes / crowd | steps |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

function stepRows(steps: readonly StepResult[]): string {
  return steps
    .map(
      (s) =>
        `| ${s.tours} | ${s.listeners} | ${pct(s.livekitCpuCores)} | ${pct(s.livekitCoreBusy)} | ${s.livekitRssMiB.toFixed(0)} | ${(s.egressRtpBytesPerListenerPerSecond / 1000).toFixed(2)} | ${s.egressPacketsPerListenerPerSecond.toFixed(1)} | ${ms(s.latencyP50Ms)} / ${ms(s.latencyP95Ms)} | ${delayCell(s.crowdDelay)} | ${delayCell(s.guidesLate)} | ${pct(s.lossRatio, 2)} | ${pct(s.crowdLostRatio, 3)} / ${s.crowdSilent} | ${pct(s.generatorCoreBusy, 0)}${usable(s) ? "" : " (left out)"} | ${perThousand(s.crowdCpuCores / s.crowdListeners)} |`,
    )
    .join("\n");
}

const GOAL = 2000;
const STRETCH = 4000;

/** The lever that carried the most listeners per core: the stretch goal's. */
const bestLever = (levers: readonly LeverFigures[]) =>
  [...levers].sort((a, b) => b.listenersPerCoreAt80 - a.listenersPerCoreAt80)[0]!;

/** The goal on the baseline, the stretch goal on the best lever, as budgets per forwarded packet. */
export function goalsPerPacket(levers: readonly LeverFigures[]): string {
  return packetBudgetText([packetBudgetRow(levers[0]!, GOAL), packetBudgetRow(bestLever(levers), STRETCH)]);
}

/** The crowd of the baseline's ramp. */
const rampCrowd = (levers: readonly LeverFigures[]) => levers[0]?.measuredWith ?? "lean";

function headline(report: BenchReport, d: DerivedFigures, levers: readonly LeverFigures[]): string {
  const best = bestLever(levers);
  const calibrated =
    d.crowdCalibration === 1
      ? ""
      : ` — calibrated to the SDK-built crowd (× ${d.crowdCalibration.toFixed(2)} CPU per listener, see the cross-check); the lean crowd alone measured ${whole(d.measuredListenersPerCoreAt80)}`;
  return `- Rendered configuration, phone defaults, continuous speech: **${whole(d.listenersPerCoreAt80)} listeners per core at ${CPU_CEILING * 100} %**
  (${perThousand(d.cpuCoresPerListener)} cores per 1,000 listeners${calibrated}) — goal ≥ ${whole(GOAL)}: ${d.listenersPerCoreAt80 >= GOAL ? "met" : "**not met**"}.
- Best lever: **${best.name}**, ${whole(best.listenersPerCoreAt80)} listeners per core — stretch goal ≥ ${whole(STRETCH)}: ${best.listenersPerCoreAt80 >= STRETCH ? "met" : "not met"}.
- The generator's own cost: the crowd (\`${rampCrowd(levers)}\`) spends ${perThousand(d.generatorCpuCoresPerListener)} cores per 1,000 listeners (it carries
  about ${whole(0.9 / d.generatorCpuCoresPerListener)} on one core); cross-check against the SDK crowd: ${d.crossCheckMargin === undefined ? "not run" : `${pct(d.crossCheckMargin)} apart (${d.crossCheckAgrees ? "agree" : "disagree"} within ±${pct(CROSS_CHECK_MARGIN, 0)})`}.
- Latency: ${latencyHeadline(report, d)}`;
}

/** Where the ramp's audio latency left the 200 ms budget, and whether that binds before the CPU ceiling. */
function latencyHeadline(report: BenchReport, d: DerivedFigures): string {
  const bound = latencyBound(report.steps, d.crowdCalibration);
  if (!bound) return `the probes' p95 stayed under ${LATENCY_BUDGET_MS} ms at every valid step of the ramp.`;
  const over = `at ${whole(bound.overAt.listeners)} listeners it was ${ms(bound.overAt.latencyP95Ms)} ms`;
  if (bound.listeners === 0) return `the probes' p95 was over ${LATENCY_BUDGET_MS} ms from the first step (${over}).`;
  const binds =
    bound.listeners < d.listenersPerCoreAt80
      ? `**latency binds before CPU**: the planner takes this bound`
      : "CPU binds first";
  return `the probes' p95 stayed under ${LATENCY_BUDGET_MS} ms up to **${whole(bound.listeners)} listeners per core** (LiveKit at
  ${pct(bound.livekitCpuCores)} of its core${d.crowdCalibration === 1 ? "" : `; ÷ ${d.crowdCalibration.toFixed(2)} calibration`}); ${over} — ${binds}.`;
}

/** The levers' table, with how it was measured: paired rounds, or (older reports) a ramp per lever. */
function leverSections(report: BenchReport, levers: readonly LeverFigures[]): string {
  const rounds = report.leverRounds;
  if (!rounds)
    return `${leverTable(levers)}

Why each lever's ramp ended:
${report.leverRuns.map((r) => `- ${r.name}: ${r.stopReason}.`).join("\n")}

![LiveKit CPU against listeners, per lever](capacity.png)

Each lever ran on its own fresh livekit-server with its change; listeners per core at ${CPU_CEILING * 100} % come from the
least-squares line through its valid steps ("projected": the ramp stopped below ${CPU_CEILING * 100} % and the line is extended).`;
  const problems = levers.flatMap((l) => (l.paired?.problems ?? []).map((p) => `- ${l.name}, ${p}.`));
  return `${pairedLeverTable(levers, rounds)}

![The baseline's ramp, and each lever against its round's baseline](capacity.png)

${pairedRoundsExplained(rounds, report.listenersPerTour)}
${problems.length > 0 ? `\nArms that did not measure:\n${problems.join("\n")}\n` : ""}
### Round by round

${roundsTable(rounds)}`;
}

export function markdown(report: BenchReport, d: DerivedFigures, levers: readonly LeverFigures[]): string {
  const la = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" ");
  return `# Capacity benchmark

Produced by \`${report.command}\` on ${report.date.slice(0, 10)} (${report.cpuModel}, 2 cores; load average before
${la(report.loadAverage.before)}, after ${la(report.loadAverage.after)}).

${headline(report, d, levers)}

## Levers, side by side

${leverSections(report, levers)}

## Recommended guide-app settings

The client-side levers are the app's publish options (\`TrackPublishOptions\`): ${clientAdvice(levers)}

## The goals per forwarded packet

${goalsPerPacket(levers)}

## Cross-check: lean crowd against an SDK-built crowd

${crossCheckText(report.crossCheck, d, report.crossCheckError)}

## Baseline, step by step

Tours of ${report.listenersPerTour} listeners: ${report.toursPerStep} in the first step, then steps sized from it to reach 80 % in three more;
${report.sampledTours} sampled tours with an rtc-node guide and
${report.probesPerTour} rtc-node probes (real tokens from the token function) time the audio; the other guides are \`loadgen guide\`
(real tokens too), the other listeners the lean Go crowd (\`loadgen listen --client ${rampCrowd(levers)} --reports phone\`, tokens signed with the API key).
Each step settles ${report.settleSeconds} s and is measured for ${report.measureSeconds} s. Stopped because: ${report.stopReason}.
Idle LiveKit: ${pct(report.idle.livekitCpuCores)} of its core, ${report.idle.livekitRssMiB.toFixed(0)} MiB.

| tours | listeners | LiveKit CPU | core 0 busy | RSS MiB | egress RTP kB/s per listener | packets/s per listener | latency p50 / p95 ms | crowd delay p50 / p95 / p99 ms | guides late p50 / p95 / p99 ms | probe loss | crowd lost / silent | generator core busy | crowd cores per 1,000 listeners |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${stepRows(report.steps)}

## How it is isolated

LiveKit runs alone in a cgroup v1 cpuset holding core 0, with no CPU quota (it is never throttled); this Node process and
everything it starts — PostgreSQL, Deno's token and webhook functions, Redis, the Go crowd and guides, the rtc-node
guide and probes — run in a cpuset holding core 1. Other users of the machine are not moved: "core 0 busy" above LiveKit's
own CPU is their share of LiveKit's core. A step at which core 1 was more than ${pct(report.generatorLimit, 0)} busy (it measured the generator), or at
which more than ${pct(SILENT_LIMIT, 0)} of the crowd heard nothing for a second (LiveKit or a guide stopped sending: it measured an overload
or a failure), is left out of every fit and every comparison.

Two things this machine does that a CX33 does not: every packet goes over loopback, where the kernel runs the receiving
socket's side of each datagram on the sending core — LiveKit's core pays for part of the crowd's receive path, which on a
server is the phones' (so LiveKit's CPU per listener here is an upper bound; moving that work to core 1 with Receive
Packet Steering on \`lo\` was tried on 2026-11-30 and made LiveKit's CPU at 210 listeners rise from 28 % to 50 %: in this VM the
inter-processor interrupt per steered packet costs more than the work it moves); and the probes decode and time the audio on
the generator's core, so when that core is busy their latency includes their own scheduling delay (compare the probes'
latency with the generator core's load in the step table before blaming LiveKit).

## Derived (for the planner, \`plans/capacity.ts\`)

- CPU per tour of ${report.listenersPerTour} listeners: **${pct(d.cpuCoresPerTour, 2)} of one core** (the baseline's slope × ${report.listenersPerTour}).
- Memory per tour: **${d.rssMiBPerTour.toFixed(1)} MiB** of LiveKit RSS (slope over the baseline's steps).
- Egress per listener: **${(d.wireBytesPerListenerPerSecond / 1000).toFixed(1)} kB/s** on the wire (RTP bytes counted by LiveKit plus ${WIRE_OVERHEAD_BYTES_PER_PACKET} B of IPv4/UDP/SRTP per packet).
- Tours at ${CPU_CEILING * 100} % of one core: **${d.toursAt80PercentOfOneCore.toFixed(1)}**; of 4 vCPU: **${d.toursAt80PercentOf4Vcpu.toFixed(0)}**, if CPU per tour stays linear.
- Listeners per core within the ${LATENCY_BUDGET_MS} ms budget: ${d.listenersPerCoreWithinLatency === undefined ? "not bound within the ramp" : `**${whole(d.listenersPerCoreWithinLatency)}** (the planner's latency bound, assumed to scale with cores as CPU does)`}.

## Latency under load

The probes' latency (rtc-node guide to rtc-node listeners, markers in the audio) includes each probe's jitter buffer,
which grows to cover how unevenly packets arrive. Two columns of the step table say where that unevenness comes from:
**crowd delay** is how much later than its stream's fastest packet each crowd packet arrived, from the kernel's arrival
stamps against the guides' RTP timestamps, over every crowd listener (\`loadgen listen --client lean-addrs\`); **guides
late** is how long after its slot was due each Go guide sent its packet: the generator's share (its busy core; until
2026-11-30 16:30 also its clock, a ticker apart from the slots' that sent about half of them a frame late; "—": a
guide too old to report it). Crowd delay well above the guides' lateness waited in LiveKit. Figures are histogram
bounds (≤ 30: between 20 and 30 ms).

## From this machine to a CX33

A CX33 has 4 *shared* vCPU; the projection multiplies one dedicated core of this ${report.cpuModel} by four and assumes a
Hetzner vCPU is as fast and that LiveKit scales across cores, which it does for independent rooms. Shared vCPUs can deliver
less under neighbours' load: treat it as an upper bound and keep a margin. The generator is not part of the server's
budget: in production the listeners are phones.
`;
}

/** What the measured client-side levers say the guide app should publish with. */
export function clientAdvice(levers: readonly LeverFigures[]): string {
  const base = levers.find((l) => l.name === "baseline");
  const client = levers.filter((l) => Object.keys(l.settings.server).length === 0 && l.name !== "baseline");
  if (!base || client.length === 0) return "no client-side lever was measured in this run.";
  const lines = client.map(
    (l) =>
      `${l.name}: ${whole(l.listenersPerCoreAt80)} listeners per core (${l.listenersPerCoreAt80 >= base.listenersPerCoreAt80 ? "+" : ""}${pct(l.listenersPerCoreAt80 / base.listenersPerCoreAt80 - 1, 0)}), ${(l.wireBytesPerListenerPerSecond / 1000).toFixed(1)} kB/s per listener, p95 ${ms(l.latencyP95Ms)} ms`,
  );
  return `\n\n${lines.map((l) => `- ${l}`).join("\n")}\n\nagainst the baseline's ${whole(base.listenersPerCoreAt80)} (${(base.wireBytesPerListenerPerSecond / 1000).toFixed(1)} kB/s, p95 ${ms(base.latencyP95Ms)} ms). A 60 ms frame adds 40 ms of
packetisation delay at the guide and makes each lost packet a 60 ms gap; RED off saves bytes but leaves single losses
unrepaired. Keep DTX on (it costs nothing while the guide talks and saves packets in pauses).`;
}
