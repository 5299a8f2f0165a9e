// The levers' sections of capacity.md when they ran in paired rounds: the
// side-by-side table, how the rounds ran, and every arm of every round. Pure.
import { delayCell } from "./crowdDelay";
import { CPU_CEILING, usable } from "./fit";
import { describeLever, LEVERS } from "./levers";
import { armCpuPerListener, BASELINE, baselineDrift } from "./pairedRounds";
import type { LeverRounds, StepResult } from "./records";
import type { LeverFigures } from "./report";

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
const whole = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-GB") : "—");
const perThousand = (x: number) => (Number.isFinite(x) ? (x * 1000).toFixed(3) : "—");
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "—");
const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");

function describe(l: LeverFigures): string {
  const known = LEVERS.find((k) => k.name === l.name);
  return known ? describeLever({ ...known, crowd: undefined }) : "";
}

function ratioCell(l: LeverFigures, rounds: LeverRounds): string {
  const p = l.paired;
  if (!p) return "—";
  if (p.name === BASELINE) {
    const drift = baselineDrift(rounds);
    return drift ? `1 (its own rounds: ${ratio(drift.low)}–${ratio(drift.high)} of their median)` : "1";
  }
  if (p.ratios.length === 0) return "—";
  return `${ratio(p.medianRatio)} (${ratio(Math.min(...p.ratios))}–${ratio(Math.max(...p.ratios))})`;
}

/** The levers side by side: listeners per core from the baseline's ramp over each lever's median ratio. */
export function pairedLeverTable(levers: readonly LeverFigures[], rounds: LeverRounds): string {
  const rows = levers.map((l) => {
    const p = l.paired;
    const verdict = !p ? "—" : p.name === BASELINE ? "reference" : p.verdict;
    const loss = p ? `${pct(p.loss, 2)} / ${pct(p.crowdLoss, 3)}` : "—";
    const projected = p?.name === BASELINE && !l.reachedCeiling ? " (projected)" : "";
    return `| ${l.name} | ${describe(l)} | ${whole(l.listenersPerCoreAt80)}${projected} | ${ratioCell(l, rounds)} | ${verdict} | ${p ? (p.wireBytesPerListenerPerSecond / 1000).toFixed(2) : "—"} | ${p ? ms(p.latencyP95Ms) : "—"} | ${loss} | ${p ? `${p.measuredArms} of ${p.arms}` : "—"} |`;
  });
  return [
    "| lever | guide publishes; server | listeners per core at 80 % | LiveKit CPU per listener ÷ its round's baseline: median (range) | verdict | wire kB/s per listener | latency p95 ms | loss: probes / crowd | rounds measured |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** How each crowd of the rounds receives. */
const CROWD_WAYS: Record<LeverRounds["crowd"], string> = {
  lean: "one shared socket",
  "lean-ports": "a port per listener, read without waking anyone",
  "lean-addrs": "an address per listener on one shared socket, read in batches",
};

/** How the rounds ran and what their figures mean. */
export function pairedRoundsExplained(rounds: LeverRounds, listenersPerTour: number): string {
  const listeners = rounds.tours * listenersPerTour;
  return `Every lever, the baseline too, ran once in each of ${rounds.rounds.length} rounds, in an order rotated by one lever each round: a
fresh livekit-server v1.13.5 with the stack's rendered \`livekit.yaml\` (host values moved to loopback) and the lever's
change, ${rounds.tours} tours (${listeners} listeners, ${rounds.sampledTours} of the tours sampled by rtc-node probes), measured once, stopped. Every
arm uses the same crowd, \`loadgen listen --client ${rounds.crowd} --reports phone\` (${CROWD_WAYS[rounds.crowd]}: a crowd that can
measure the rendered mux and the port range alike; each listener reports as a phone does). A lever's figure in a round is LiveKit's CPU above idle per
listener, divided by the baseline's in the same round: on this machine one setting's figure drifts between rounds
(the baseline's own column says how far), and a ratio within one round cancels most of that drift. A lever is
**cheaper** or **dearer** only when it was so in every round; otherwise its difference from the baseline is **not
resolved** at this machine's noise, and its median is no more than a best guess. Listeners per core at ${CPU_CEILING * 100} % are the
baseline's (its ramp, below, calibrated as stated in the cross-check) divided by the lever's median ratio. Latency p95
and loss are the worst over the lever's rounds (probes: markers not heard; crowd: RTP sequence gaps); wire kB/s the median.
The probes' guide is an rtc-node client with the lever's RED setting and 20 ms frames; the other guides publish the
lever's settings.`;
}

function armRow(
  round: number,
  lever: string,
  step: StepResult | undefined,
  idle: number,
  vs: string,
  why = "",
): string {
  if (!step) return `| ${round} | ${lever} | — | — | — | — | — | ${why} | — |`;
  const perListener = (step.livekitCpuCores - idle) / step.listeners;
  return `| ${round} | ${lever} | ${step.listeners} | ${pct(step.livekitCpuCores)} | ${perThousand(perListener)} | ${vs} | ${pct(step.generatorCoreBusy, 0)}${usable(step) ? "" : " (left out)"} | ${pct(step.crowdLostRatio, 3)} / ${step.crowdSilent} | ${delayCell(step.crowdDelay)} |`;
}

/** Every arm of every round, in the order it ran. */
export function roundsTable(rounds: LeverRounds): string {
  const rows = rounds.rounds.flatMap((r, i) => {
    const base = r.arms.find((a) => a.lever === BASELINE);
    const baseCost = base?.step && usable(base.step) ? armCpuPerListener({ ...base, step: base.step }) : NaN;
    return r.arms.map((a) => {
      const cost = a.step && usable(a.step) ? armCpuPerListener({ ...a, step: a.step }) : NaN;
      // A failure's first line, without the table's separator: LiveKit's output can follow it.
      const why = (a.failure ?? "").split("\n")[0]!.replaceAll("|", "/");
      return armRow(i + 1, a.lever, a.step, a.idle.livekitCpuCores, ratio(cost / baseCost), why);
    });
  });
  return [
    "| round | lever | listeners | LiveKit CPU | LiveKit cores per 1,000 listeners | ÷ baseline | generator core busy | crowd lost / silent | crowd delay p50 / p95 / p99 ms |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
