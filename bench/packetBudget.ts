// The goals per forwarded packet, against LiveKit's own published
// audio benchmark. An SFU's CPU follows packets: each listener gets every
// packet encrypted and written on its own. So a goal in listeners per core is
// a budget of CPU per packet once the packet rate is known, and LiveKit's
// published figure, which was measured at another packet rate, becomes
// comparable once it is turned into CPU per packet too. Pure.
import { CPU_CEILING } from "./fit";

/**
 * LiveKit's published audio-only benchmark (LiveKit docs, "Benchmarking"): 10 audio publishers and 3,000
 * subscribers in one room brought a 16-core c2-standard-16 to 80 % CPU. Every subscriber takes every track, and
 * livekit-cli's load tester publishes audio as one sample every 1/30 s (pkg/loadtester/loadtestprovider.go,
 * `SampleDuration: time.Second / 30`), so each of the 30,000 downtracks carried 30 packets a second.
 */
export interface PublishedBenchmark {
  readonly machine: string;
  readonly cores: number;
  readonly cpu: number;
  readonly publishers: number;
  readonly subscribers: number;
  readonly packetsPerDowntrackPerSecond: number;
}

export const LIVEKIT_PUBLISHED_AUDIO: PublishedBenchmark = {
  machine: "c2-standard-16",
  cores: 16,
  cpu: CPU_CEILING,
  publishers: 10,
  subscribers: 3000,
  packetsPerDowntrackPerSecond: 30,
};

/** Microseconds of one core per forwarded packet in LiveKit's published audio benchmark. */
export function publishedMicrosecondsPerPacket(p: PublishedBenchmark = LIVEKIT_PUBLISHED_AUDIO): number {
  const packetsPerSecond = p.publishers * p.subscribers * p.packetsPerDowntrackPerSecond;
  return ((p.cores * p.cpu) / packetsPerSecond) * 1e6;
}

/** Microseconds of one core a listener's packet costs, from cores per listener and packets per listener per second. */
export function microsecondsPerPacket(coresPerListener: number, packetsPerListenerPerSecond: number): number {
  if (!(packetsPerListenerPerSecond > 0)) return NaN;
  return (coresPerListener / packetsPerListenerPerSecond) * 1e6;
}

/** Listeners one core carries at the ceiling when each of their packets costs `microseconds`. */
export function listenersPerCoreAtCost(microseconds: number, packetsPerListenerPerSecond: number): number {
  if (!(microseconds > 0 && packetsPerListenerPerSecond > 0)) return NaN;
  return (CPU_CEILING * 1e6) / (microseconds * packetsPerListenerPerSecond);
}

/** The most one packet may cost for `listenersPerCore` at the ceiling: the goal as a budget per packet. */
export function budgetMicrosecondsPerPacket(listenersPerCore: number, packetsPerListenerPerSecond: number): number {
  return listenersPerCoreAtCost(1, packetsPerListenerPerSecond) / listenersPerCore;
}

export interface PacketBudgetRow {
  readonly lever: string;
  readonly goal: number;
  readonly packetsPerListenerPerSecond: number;
  /** As this benchmark measured it (calibrated, as the listeners per core are). */
  readonly measuredMicroseconds: number;
  readonly budgetMicroseconds: number;
  /** Listeners per core at the ceiling if LiveKit forwarded at its published cost per packet. */
  readonly atPublishedCost: number;
}

/** One row per goal: the lever it is measured on, its packet rate, the measured cost, the budget, the published cost. */
export function packetBudgetRow(
  lever: { readonly name: string; readonly cpuCoresPerListener: number; readonly packetsPerListenerPerSecond: number },
  goal: number,
): PacketBudgetRow {
  const pps = lever.packetsPerListenerPerSecond;
  return {
    lever: lever.name,
    goal,
    packetsPerListenerPerSecond: pps,
    measuredMicroseconds: microsecondsPerPacket(lever.cpuCoresPerListener, pps),
    budgetMicroseconds: budgetMicrosecondsPerPacket(goal, pps),
    atPublishedCost: listenersPerCoreAtCost(publishedMicrosecondsPerPacket(), pps),
  };
}

/** One decimal (µs, packets a second), a dash for what was not measured. */
const tenths = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "—");
const whole = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-GB") : "—");

/** The section's table and what it says. */
export function packetBudgetText(rows: readonly PacketBudgetRow[]): string {
  const p = LIVEKIT_PUBLISHED_AUDIO;
  const published = publishedMicrosecondsPerPacket();
  const lines = rows.map(
    (r) =>
      `| ${whole(r.goal)} | ${r.lever} | ${tenths(r.packetsPerListenerPerSecond)} | ${tenths(r.budgetMicroseconds)} | ${tenths(r.measuredMicroseconds)} | ${whole(r.atPublishedCost)} |`,
  );
  return `Each listener gets every packet encrypted and written on its own, so a goal in listeners per core is a budget of
LiveKit's CPU per forwarded packet. LiveKit's published audio benchmark (${p.publishers} publishers, ${whole(p.subscribers)} subscribers taking
every track, ${p.packetsPerDowntrackPerSecond} packets a second per track from livekit-cli's load tester, ${p.cpu * 100} % of a ${p.cores}-core ${p.machine}) works out
to **${tenths(published)} µs of a core per packet**, with its per-subscriber costs shared by ten tracks.

| goal: listeners per core at ${CPU_CEILING * 100} % | measured on | packets/s per listener | budget µs per packet | measured here, µs per packet (calibrated as the listeners per core) | listeners per core at LiveKit's published µs per packet |
| --- | --- | --- | --- | --- | --- |
${lines.join("\n")}

A goal whose budget is below LiveKit's published cost per packet is beyond what LiveKit reports of itself, on any
machine, before a single-track listener's own costs (its peer connection's RTCP, ICE keep-alives, statistics).`;
}
