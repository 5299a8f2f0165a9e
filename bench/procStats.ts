// CPU and memory of a process from /proc, and LiveKit's packet counters from
// its Prometheus endpoint: the raw readings the capacity benchmark records.
import { readFileSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface CpuSample {
  readonly cpuSeconds: number;
  readonly at: number;
}

export function cpuSample(pid: number): CpuSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, at: performance.now() };
}

/** Share of one core used between two samples (1 = a whole core). */
export function coreShare(a: CpuSample, b: CpuSample): number {
  return (b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000);
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export interface PacketCounters {
  readonly outgoingBytes: number;
  readonly outgoingPackets: number;
  readonly at: number;
}

/** Sums LiveKit's outgoing packet and byte counters (all transmissions). */
export async function packetCounters(metricsUrl: string): Promise<PacketCounters> {
  const text = await (await fetch(metricsUrl)).text();
  let bytes = 0;
  let packets = 0;
  for (const line of text.split("\n")) {
    if (!line.includes('direction="outgoing"')) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("livekit_packet_bytes{")) bytes += value;
    else if (line.startsWith("livekit_packet_total{")) packets += value;
  }
  return { outgoingBytes: bytes, outgoingPackets: packets, at: performance.now() };
}

export interface CoreTimes {
  readonly busy: number;
  readonly total: number;
}

/** Jiffies one core spent busy and in all, since boot (/proc/stat's cpuN line). */
export function coreTimes(core: number, stat = readFileSync("/proc/stat", "utf8")): CoreTimes {
  const line = stat.split("\n").find((l) => l.startsWith(`cpu${core} `));
  if (!line) throw new Error(`/proc/stat has no line for core ${core}`);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/** Share of the time a core was busy between two readings, whoever kept it busy. */
export function busyShare(a: CoreTimes, b: CoreTimes): number {
  return (b.busy - a.busy) / (b.total - a.total);
}
