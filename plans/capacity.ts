// Pure capacity planning from the benchmark's measured figures
// (bench/results/capacity.json, read by the caller and passed in) and a
// stack's sizing: how many tours one server carries at once, how many fit in
// the monthly traffic allowance, what a tour costs, and the preview's warning
// when the planned peak does not fit.
export interface MeasuredFigures {
  readonly listenersPerTour: number;
  readonly cpuCoresPerTour: number;
  readonly rssMiBPerTour: number;
  readonly wireBytesPerListenerPerSecond: number;
}

export interface ServerClass {
  readonly vcpu: number;
  readonly ramMiB: number;
  /** Outbound traffic included per month, bytes. */
  readonly trafficBytes: number;
  /** List price per month (EUR, before VAT), with one primary IPv4. */
  readonly eurPerMonth: number;
}

/** Hetzner's CX line in the EU; check the price list before a budget depends on it. */
export const SERVER_CLASSES: Readonly<Record<string, ServerClass>> = {
  cx23: { vcpu: 2, ramMiB: 4096, trafficBytes: 20e12, eurPerMonth: 4.49 },
  cx33: { vcpu: 4, ramMiB: 8192, trafficBytes: 20e12, eurPerMonth: 6.99 },
  cx43: { vcpu: 8, ramMiB: 16384, trafficBytes: 20e12, eurPerMonth: 11.99 },
  cx53: { vcpu: 16, ramMiB: 32768, trafficBytes: 20e12, eurPerMonth: 22.99 },
};

export interface CapacityPlan {
  readonly concurrentTours: number;
  readonly limitedBy: "cpu" | "memory";
  readonly toursPerMonthByTraffic: number;
  readonly trafficPerTourGB: number;
  readonly eurPerTourAtTrafficLimit: number;
}

/** Keeps CPU and memory at 80 %, the benchmark's own ceiling. */
export function planCapacity(
  measured: MeasuredFigures,
  server: ServerClass,
  listenersPerTour: number,
  tourHours: number,
): CapacityPlan {
  const scale = listenersPerTour / measured.listenersPerTour;
  const cpuTours = (0.8 * server.vcpu) / (measured.cpuCoresPerTour * scale);
  const memTours = (0.8 * server.ramMiB) / (measured.rssMiBPerTour * scale);
  const bytesPerTour = measured.wireBytesPerListenerPerSecond * listenersPerTour * 3600 * tourHours;
  const toursPerMonthByTraffic = Math.floor(server.trafficBytes / bytesPerTour);
  return {
    concurrentTours: Math.floor(Math.min(cpuTours, memTours)),
    limitedBy: cpuTours <= memTours ? "cpu" : "memory",
    toursPerMonthByTraffic,
    trafficPerTourGB: bytesPerTour / 1e9,
    eurPerTourAtTrafficLimit: server.eurPerMonth / toursPerMonthByTraffic,
  };
}

/** The part of the benchmark report (bench/results/capacity.json) the planner reads. */
export interface BenchReportFigures {
  readonly listenersPerTour: number;
  readonly derived: Readonly<Record<string, number>>;
}

export function measuredFigures(report: BenchReportFigures): MeasuredFigures {
  const { cpuCoresPerTour, rssMiBPerTour, wireBytesPerListenerPerSecond } = report.derived;
  for (const [k, v] of Object.entries({ cpuCoresPerTour, rssMiBPerTour, wireBytesPerListenerPerSecond })) {
    if (!(typeof v === "number" && v > 0))
      throw new Error(`bench/results/capacity.json has no positive ${k}; rerun npm run bench:capacity`);
  }
  return {
    listenersPerTour: report.listenersPerTour,
    cpuCoresPerTour: cpuCoresPerTour!,
    rssMiBPerTour: rssMiBPerTour!,
    wireBytesPerListenerPerSecond: wireBytesPerListenerPerSecond!,
  };
}

/** A stack's sizing, as the planner needs it (the stack settings carry these keys). */
export interface StackSizing {
  readonly serverType: string;
  readonly listenersPerTour: number;
  readonly tourHours: number;
  readonly peakConcurrentTours: number;
}

/**
 * The preview's capacity check: the stack's planned peak against what one
 * server of its type carries. `report` is the committed benchmark report, or
 * undefined when there is none.
 */
export function capacityWarning(sizing: StackSizing, report: BenchReportFigures | undefined): string | undefined {
  const server = SERVER_CLASSES[sizing.serverType];
  if (!server) return `no capacity figures for server type ${sizing.serverType}; the sizing of this stack is unchecked`;
  if (!report) return "no benchmark report at bench/results/capacity.json; the sizing of this stack is unchecked";
  const plan = planCapacity(measuredFigures(report), server, sizing.listenersPerTour, sizing.tourHours);
  if (sizing.peakConcurrentTours <= plan.concurrentTours) return undefined;
  return `roamcast:peakConcurrentTours is ${sizing.peakConcurrentTours}, but one ${sizing.serverType} carries about ${plan.concurrentTours} tours of ${sizing.listenersPerTour} listeners (limited by ${plan.limitedBy}, bench/results/capacity.md); choose a larger serverType or lower the peak`;
}
