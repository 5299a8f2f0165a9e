// Turns the benchmark's steps into the committed report: JSON (read by the
// capacity planner), a Markdown table set beside the planning document's
// claims, and a PNG chart.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { renderChart } from "./chart";

export interface StepResult {
  readonly tours: number;
  readonly listeners: number;
  readonly livekitCpuCores: number;
  readonly livekitRssMiB: number;
  readonly generatorCpuCores: number;
  readonly egressRtpBytesPerListenerPerSecond: number;
  readonly egressPacketsPerListenerPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly lossRatio: number;
  readonly joinP95Ms: number;
}

export interface BenchReport {
  readonly command: string;
  readonly date: string;
  readonly cpuModel: string;
  readonly listenersPerTour: number;
  /** Share of one core LiveKit was given (cgroup CPU quota). */
  readonly livekitCpuGiven: number;
  readonly probesPerTour: number;
  readonly measureSeconds: number;
  readonly idle: { readonly livekitCpuCores: number; readonly livekitRssMiB: number };
  readonly steps: readonly StepResult[];
  readonly stopReason: string;
}

/** IPv4 20 + UDP 8 + SRTP auth tag 10 bytes that LiveKit's RTP byte counter leaves out. */
export const WIRE_OVERHEAD_BYTES_PER_PACKET = 38;

export interface DerivedFigures {
  /** Share of one core each tour adds (least-squares slope). */
  readonly cpuCoresPerTour: number;
  readonly rssMiBPerTour: number;
  readonly wireBytesPerListenerPerSecond: number;
  readonly toursAt80PercentOfGiven: number;
  readonly toursAt80PercentOfOneCore: number;
  readonly toursAt80PercentOf4Vcpu: number;
  readonly generatorCpuCoresPerListener: number;
}

function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return points[0] ? points[0][1] / points[0][0] : NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return num / den;
}

export function derive(report: BenchReport): DerivedFigures {
  const withIdle: [number, number][] = [
    [0, report.idle.livekitCpuCores],
    ...report.steps.map((s) => [s.tours, s.livekitCpuCores] as [number, number]),
  ];
  const cpuCoresPerTour = slope(withIdle);
  const rssMiBPerTour = slope([
    [0, report.idle.livekitRssMiB],
    ...report.steps.map((s) => [s.tours, s.livekitRssMiB] as [number, number]),
  ]);
  const last = report.steps[report.steps.length - 1]!;
  const wire =
    last.egressRtpBytesPerListenerPerSecond + last.egressPacketsPerListenerPerSecond * WIRE_OVERHEAD_BYTES_PER_PACKET;
  return {
    cpuCoresPerTour,
    rssMiBPerTour,
    wireBytesPerListenerPerSecond: wire,
    toursAt80PercentOfGiven: (0.8 * report.livekitCpuGiven - report.idle.livekitCpuCores) / cpuCoresPerTour,
    toursAt80PercentOfOneCore: (0.8 - report.idle.livekitCpuCores) / cpuCoresPerTour,
    toursAt80PercentOf4Vcpu: (0.8 * 4 - report.idle.livekitCpuCores) / cpuCoresPerTour,
    generatorCpuCoresPerListener: last.generatorCpuCores / last.listeners,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function markdown(report: BenchReport, d: DerivedFigures): string {
  const rows = report.steps.map(
    (s) =>
      `| ${s.tours} | ${s.listeners} | ${pct(s.livekitCpuCores)} | ${s.livekitRssMiB.toFixed(0)} | ${(s.egressRtpBytesPerListenerPerSecond / 1000).toFixed(2)} | ${s.egressPacketsPerListenerPerSecond.toFixed(1)} | ${s.latencyP50Ms.toFixed(0)} / ${s.latencyP95Ms.toFixed(0)} | ${pct(s.lossRatio)} | ${s.joinP95Ms.toFixed(0)} | ${pct(s.generatorCpuCores)} |`,
  );
  return `# Capacity benchmark

Produced by \`${report.command}\` on ${report.date.slice(0, 10)} (${report.cpuModel}, 2 cores).
livekit-server v1.13.5 ran the stack's rendered \`livekit.yaml\` (host values moved to loopback) pinned to one core
(\`taskset -c 0\`) and given ${report.livekitCpuGiven} of it (a cgroup CPU quota), so that 80 % of its CPU is reachable
before the load generator runs out of the other core. The load generator — ${report.listenersPerTour} real WebRTC listeners and a guide
publishing speech-like noise with markers as Opus with RED per tour, tokens from the real token function — ran on the
other core: the guide and ${report.probesPerTour} probe listeners per tour in @livekit/rtc-node, the rest in
\`tools/loadgen\` (Go, pion). The probes decode the audio and time the guide's markers; all listeners receive
every packet. Each step
settles, then measures for ${report.measureSeconds} s; a step fails if any listener received nothing in a second.
Stopped because: ${report.stopReason}.

Idle LiveKit: ${pct(report.idle.livekitCpuCores)} of a core, ${report.idle.livekitRssMiB.toFixed(0)} MiB.

| tours | listeners | LiveKit CPU (share of 1 core) | LiveKit RSS MiB | egress RTP kB/s per listener | packets/s per listener | latency p50 / p95 ms | loss | join p95 ms | generator CPU (of 1 core) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

![LiveKit CPU and audio latency as tours are added](capacity.png)

## Derived

- CPU per tour of ${report.listenersPerTour} listeners: **${pct(d.cpuCoresPerTour)} of one core** (least-squares slope over the steps).
- Memory per tour: **${d.rssMiBPerTour.toFixed(1)} MiB** of LiveKit RSS.
- Egress per listener: **${(d.wireBytesPerListenerPerSecond / 1000).toFixed(1)} kB/s** on the wire (RTP bytes counted by LiveKit plus ${WIRE_OVERHEAD_BYTES_PER_PACKET} B of IPv4/UDP/SRTP per packet).
- Tours at 80 % of what LiveKit was given (${report.livekitCpuGiven} core): **${d.toursAt80PercentOfGiven.toFixed(1)}**; of one whole core: **${d.toursAt80PercentOfOneCore.toFixed(1)}**; of 4 vCPU: **${d.toursAt80PercentOf4Vcpu.toFixed(0)}**, if CPU per tour stays linear.
- The load generator itself costs ${pct(d.generatorCpuCoresPerListener)} of a core per listener (it runs ${report.listenersPerTour + 1} WebRTC peers per tour, ${report.probesPerTour} of them decoding).

## Beside the planning document

| claim | planning document | measured here |
| --- | --- | --- |
| audio latency | < 200 ms | p95 ${Math.max(...report.steps.map((s) => s.latencyP95Ms)).toFixed(0)} ms at worst over the steps (loopback: no network delay; a phone on mobile data adds its RTT and jitter buffer) |
| CPU per tour | 5–7 % | ${pct(d.cpuCoresPerTour)} of one core here; on 4 vCPU that is ${pct(d.cpuCoresPerTour / 4)} of the server |
| memory per tour | 200–300 MB | ${d.rssMiBPerTour.toFixed(1)} MiB — about ${(250 / d.rssMiBPerTour).toFixed(0)}× less than planned (and 40 tours × 200–300 MB would not have fitted in 8 GB anyway) |
| tours per CX32 | 40–50 | ${d.toursAt80PercentOf4Vcpu.toFixed(0)} at 80 % CPU, projected (below) |
| bytes per listener | 7.7 KB/s | ${(d.wireBytesPerListenerPerSecond / 1000).toFixed(1)} kB/s with RED on (the planning figure assumes Opus without RED: set \`redundantAudio: false\` to halve it) |

Latency rises as LiveKit nears the CPU it was given: the cgroup quota throttles it in 100 ms periods, and audio
waits. That is what a saturated server does to a tour; keep CPU well below 80 % in production.

## From this machine to a CX33

LiveKit had ${report.livekitCpuGiven} of one dedicated core of this ${report.cpuModel}. A CX33 has 4 *shared* vCPU; the projection above
multiplies by four and assumes a Hetzner vCPU is as fast as this core and that LiveKit scales across cores, which it
does for independent rooms. Shared vCPUs can deliver less under neighbours' load, so plan with headroom: treat the
projection as an upper bound and keep a margin of 25 %. The generator's CPU is not part of the server's budget: in
production the listeners are phones.
`;
}

export async function writeReport(dir: string, report: BenchReport): Promise<void> {
  if (report.steps.length === 0) throw new Error("the benchmark recorded no step; nothing to report");
  mkdirSync(dir, { recursive: true });
  const derived = derive(report);
  writeFileSync(join(dir, "capacity.json"), JSON.stringify({ ...report, derived }, null, 2) + "\n");
  writeFileSync(join(dir, "capacity.md"), markdown(report, derived));
  writeFileSync(join(dir, "capacity.png"), await renderChart(report.steps));
}
