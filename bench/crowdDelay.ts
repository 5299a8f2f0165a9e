// The crowd's delay variation over a step: loadgen's lean-addrs crowd counts
// every packet by how much later than its stream's fastest it arrived, stamped
// by the kernel on arrival (tools/loadgen/report_delay.go), in a histogram of
// totals since start. A step's figure is the difference of two reports. Pure.

/** The histogram as loadgen reports it: packets since start, by upper bound; the last bucket is past every bound. */
export interface DelayHistogram {
  readonly upToMs: readonly number[];
  readonly packets: readonly number[];
}

/** Percentiles of the packets' delay: the bucket bound each lies under; null when past the last bound. */
export interface DelayPercentiles {
  readonly packets: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

/** The step's percentiles, from the reports at its start and end; undefined when the crowd measured none. */
export function delayOverStep(
  before: DelayHistogram | undefined,
  after: DelayHistogram | undefined,
): DelayPercentiles | undefined {
  if (!before || !after) return undefined;
  if (after.packets.length !== after.upToMs.length + 1 || before.packets.length !== after.packets.length)
    throw new Error(
      `loadgen's delay histogram changed shape within a step (${before.packets.length} → ${after.packets.length} buckets)`,
    );
  const counts = after.packets.map((n, i) => n - before.packets[i]!);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const at = (q: number): number | null => {
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= q * total) return i < after.upToMs.length ? after.upToMs[i]! : null;
    }
    return null;
  };
  return { packets: total, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99) };
}

/** "≤ 5", or "> 1000" past the last bound. */
export function delayBound(ms: number | null, lastBoundMs = 1000): string {
  return ms === null ? `> ${lastBoundMs}` : `≤ ${ms}`;
}

/** A table cell: "≤ 2 / ≤ 20 / ≤ 50" (p50 / p95 / p99), or "—" when the crowd measured none. */
export function delayCell(d: DelayPercentiles | undefined): string {
  return d ? `${delayBound(d.p50Ms)} / ${delayBound(d.p95Ms)} / ${delayBound(d.p99Ms)}` : "—";
}
