// Pure capacity planning from the benchmark's measured figures
// (bench/results/capacity.json, read by the caller and passed in) and a
// stack's sizing: how many tours one server carries at once, how many fit in
// the monthly traffic allowance, what a tour costs, how many LiveKit servers
// the season needs, and the preview's warning when the stack has fewer.
export interface MeasuredFigures {
  readonly listenersPerTour: number;
  readonly cpuCoresPerTour: number;
  readonly rssMiBPerTour: number;
  readonly wireBytesPerListenerPerSecond: number;
  /** Listeners one core carries at 80 % (full-core benchmark); preferred when present. */
  readonly listenersPerCoreAt80?: number;
  /** CPU per listener (the slope of the full-core benchmark); next preference. */
  readonly cpuCoresPerListener?: number;
  /**
   * Listeners one core held with the audio's latency p95 under 200 ms, when more broke it (absent: latency did not
   * bind within the benchmark's ramp). Assumed to scale with cores, as CPU does: LiveKit spreads rooms over them.
   */
  readonly listenersPerCoreWithinLatency?: number;
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
  /** Tours at once one server carries: the lowest of the bounds below, whole tours. */
  readonly concurrentTours: number;
  readonly limitedBy: "cpu" | "memory" | "latency";
  /** Tours at once by CPU alone (fractional), at 80 %. */
  readonly toursByCpu: number;
  /** Tours at once by memory alone (fractional), at 80 %. */
  readonly toursByMemory: number;
  /** Tours at once the audio's latency budget allows (fractional); Infinity when latency did not bind in the benchmark. */
  readonly toursByLatency: number;
  /** Which measured figure the CPU bound comes from. */
  readonly cpuFigure: string;
  readonly toursPerMonthByTraffic: number;
  readonly trafficPerTourGB: number;
  readonly eurPerTourAtTrafficLimit: number;
}

/** One tour's CPU in cores, from the best figure the report has, and that figure's description. */
function cpuPerTour(measured: MeasuredFigures, listenersPerTour: number): { cores: number; figure: string } {
  // listenersPerCoreAt80 is measured at 80 % of a core, so 80 % of a core carries that many.
  if (measured.listenersPerCoreAt80)
    return {
      cores: (0.8 * listenersPerTour) / measured.listenersPerCoreAt80,
      figure: `${Math.round(measured.listenersPerCoreAt80)} listeners per core at 80 %`,
    };
  if (measured.cpuCoresPerListener)
    return {
      cores: measured.cpuCoresPerListener * listenersPerTour,
      figure: `${measured.cpuCoresPerListener.toPrecision(2)} cores per listener`,
    };
  return {
    cores: measured.cpuCoresPerTour * (listenersPerTour / measured.listenersPerTour),
    figure: `${measured.cpuCoresPerTour.toPrecision(2)} cores per tour of ${measured.listenersPerTour}`,
  };
}

/** Keeps CPU and memory at 80 %, the benchmark's own ceiling. */
export function planCapacity(
  measured: MeasuredFigures,
  server: ServerClass,
  listenersPerTour: number,
  tourHours: number,
  trafficBytes = server.trafficBytes,
): CapacityPlan {
  const cpu = cpuPerTour(measured, listenersPerTour);
  const toursByCpu = (0.8 * server.vcpu) / cpu.cores;
  const toursByMemory =
    (0.8 * server.ramMiB) / (measured.rssMiBPerTour * (listenersPerTour / measured.listenersPerTour));
  const toursByLatency =
    measured.listenersPerCoreWithinLatency === undefined
      ? Infinity
      : (server.vcpu * measured.listenersPerCoreWithinLatency) / listenersPerTour;
  const bytesPerTour = tourBytes(measured, listenersPerTour, tourHours);
  const toursPerMonthByTraffic = Math.floor(trafficBytes / bytesPerTour);
  const bounds = [
    ["cpu", toursByCpu],
    ["memory", toursByMemory],
    ["latency", toursByLatency],
  ] as const;
  const [limitedBy, tours] = bounds.reduce((low, b) => (b[1] < low[1] ? b : low));
  return {
    concurrentTours: Math.floor(tours),
    limitedBy,
    toursByCpu,
    toursByMemory,
    toursByLatency,
    cpuFigure: cpu.figure,
    toursPerMonthByTraffic,
    trafficPerTourGB: bytesPerTour / 1e9,
    eurPerTourAtTrafficLimit: server.eurPerMonth / toursPerMonthByTraffic,
  };
}

function tourBytes(measured: MeasuredFigures, listenersPerTour: number, tourHours: number): number {
  return measured.wireBytesPerListenerPerSecond * listenersPerTour * 3600 * tourHours;
}

/** The part of the benchmark report (bench/results/capacity.json) the planner reads. */
export interface BenchReportFigures {
  readonly listenersPerTour: number;
  readonly derived: Readonly<Record<string, number>>;
}

const positive = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

export function measuredFigures(report: BenchReportFigures): MeasuredFigures {
  const { cpuCoresPerTour, rssMiBPerTour, wireBytesPerListenerPerSecond } = report.derived;
  for (const [k, v] of Object.entries({ cpuCoresPerTour, rssMiBPerTour, wireBytesPerListenerPerSecond })) {
    if (!positive(v)) throw new Error(`bench/results/capacity.json has no positive ${k}; rerun npm run bench:capacity`);
  }
  // The full-core figures are optional (older reports lack them), but if present they must be usable.
  const { listenersPerCoreAt80, cpuCoresPerListener, listenersPerCoreWithinLatency } = report.derived;
  for (const [k, v] of Object.entries({ listenersPerCoreAt80, cpuCoresPerListener })) {
    if (v !== undefined && !positive(v))
      throw new Error(
        `bench/results/capacity.json has ${k} ${JSON.stringify(v)}, not a positive number; rerun npm run bench:capacity`,
      );
  }
  // 0 is a measurement (the first step was already over budget), not a broken report.
  const latency = listenersPerCoreWithinLatency;
  if (latency !== undefined && !(typeof latency === "number" && Number.isFinite(latency) && latency >= 0))
    throw new Error(
      `bench/results/capacity.json has listenersPerCoreWithinLatency ${JSON.stringify(latency)}, not a number at least 0; rerun npm run bench:capacity`,
    );
  return {
    listenersPerTour: report.listenersPerTour,
    cpuCoresPerTour: cpuCoresPerTour!,
    rssMiBPerTour: rssMiBPerTour!,
    wireBytesPerListenerPerSecond: wireBytesPerListenerPerSecond!,
    ...(listenersPerCoreAt80 !== undefined ? { listenersPerCoreAt80 } : {}),
    ...(cpuCoresPerListener !== undefined ? { cpuCoresPerListener } : {}),
    ...(latency !== undefined ? { listenersPerCoreWithinLatency: latency } : {}),
  };
}

/** A stack's sizing, as the planner needs it (the stack settings carry these keys). */
export interface StackSizing {
  readonly serverType: string;
  readonly listenersPerTour: number;
  readonly tourHours: number;
  readonly peakConcurrentTours: number;
  /** Tours in the season's busiest month, across all LiveKit servers. */
  readonly toursPerMonth: number;
  /** LiveKit servers the stack runs. */
  readonly livekitNodes: number;
  /** The stack's traffic allowance per server (TB a month); the server class's when absent. */
  readonly monthlyTrafficTb?: number;
}

export type Bound = "cpu" | "memory" | "latency" | "traffic";

export interface ServerCountPlan {
  readonly perServer: CapacityPlan;
  /** Servers the peak needs at once, by CPU, memory and latency (the lowest per server); Infinity if one tour does not fit one server. */
  readonly nodesByCompute: number;
  /** Servers the busiest month's traffic needs, each with its own allowance. */
  readonly nodesByTraffic: number;
  readonly monthlyTrafficTB: number;
  readonly trafficPerServerTB: number;
  /** Servers needed, unrounded: the peak over whole tours per server; the month's traffic over one server's allowance. */
  readonly computeNeed: number;
  readonly trafficNeed: number;
  /** The bound with the higher unrounded need (so also when both need one server); compute on a tie. */
  readonly binds: Bound;
  /** max(nodesByCompute, nodesByTraffic), at least 1. */
  readonly nodes: number;
  readonly eurPerMonth: number;
  readonly eurPerTour: number;
}

/**
 * How many LiveKit servers of `server`'s class the season needs: enough for
 * the peak at once (a room lives on one server, so whole tours per server) and
 * enough traffic allowance for the busiest month (each server brings its own,
 * assuming LiveKit spreads rooms evenly).
 */
export function planServerCount(measured: MeasuredFigures, server: ServerClass, sizing: StackSizing): ServerCountPlan {
  const trafficPerServer = sizing.monthlyTrafficTb !== undefined ? sizing.monthlyTrafficTb * 1e12 : server.trafficBytes;
  const perServer = planCapacity(measured, server, sizing.listenersPerTour, sizing.tourHours, trafficPerServer);
  const monthlyBytes = sizing.toursPerMonth * tourBytes(measured, sizing.listenersPerTour, sizing.tourHours);
  // Unrounded needs, from whole tours per server, so the larger need is also the larger count.
  const computeNeed = sizing.peakConcurrentTours / perServer.concurrentTours;
  const trafficNeed = monthlyBytes / trafficPerServer;
  const nodesByCompute = Math.ceil(computeNeed);
  const nodesByTraffic = Math.max(1, Math.ceil(trafficNeed));
  const nodes = Math.max(1, nodesByCompute, nodesByTraffic);
  return {
    perServer,
    nodesByCompute,
    nodesByTraffic,
    computeNeed,
    trafficNeed,
    monthlyTrafficTB: monthlyBytes / 1e12,
    trafficPerServerTB: trafficPerServer / 1e12,
    binds: trafficNeed > computeNeed ? "traffic" : perServer.limitedBy,
    nodes,
    eurPerMonth: nodes * server.eurPerMonth,
    eurPerTour: (nodes * server.eurPerMonth) / sizing.toursPerMonth,
  };
}

export const BOUND_NAMES: Readonly<Record<Bound, string>> = {
  cpu: "CPU",
  memory: "memory",
  latency: "latency",
  traffic: "traffic",
};

/** "2 by CPU (…), 3 by traffic (…); traffic binds", the two bounds as the warning and the CLI state them. */
export function boundsText(plan: ServerCountPlan, sizing: StackSizing): string {
  const compute =
    plan.nodesByCompute === Infinity
      ? `none by ${BOUND_NAMES[plan.perServer.limitedBy]} (one tour of ${sizing.listenersPerTour} listeners does not fit one server)`
      : `${plan.nodesByCompute} by ${BOUND_NAMES[plan.perServer.limitedBy]} (peak ${sizing.peakConcurrentTours} tours at once, ${plan.perServer.concurrentTours} per server ${plan.perServer.limitedBy === "latency" ? "within 200 ms" : "at 80 %"})`;
  const traffic = `${plan.nodesByTraffic} by traffic (${sizing.toursPerMonth} tours in the busiest month, ${plan.monthlyTrafficTB.toFixed(1)} TB; ${plan.trafficPerServerTB} TB per server)`;
  return `${compute}, ${traffic}; ${BOUND_NAMES[plan.binds]} binds`;
}

/**
 * The preview's capacity check: the season's peak and busiest month against
 * the stack's `livekitNodes` servers of its type. `report` is the committed
 * benchmark report, or undefined when there is none.
 */
export function capacityWarning(sizing: StackSizing, report: BenchReportFigures | undefined): string | undefined {
  const server = SERVER_CLASSES[sizing.serverType];
  if (!server) return `no capacity figures for server type ${sizing.serverType}; the sizing of this stack is unchecked`;
  if (!report) return "no benchmark report at bench/results/capacity.json; the sizing of this stack is unchecked";
  const measured = measuredFigures(report);
  const plan = planServerCount(measured, server, sizing);
  if (sizing.livekitNodes >= plan.nodes) return undefined;
  return `roamcast:livekitNodes is ${sizing.livekitNodes}, but ${
    plan.nodes === Infinity
      ? `the season cannot run on ${sizing.serverType} servers`
      : `the season needs ${plan.nodes} ${sizing.serverType} servers`
  }: ${boundsText(plan, sizing)} (bench/results/capacity.md). ${fixFor(measured, sizing, plan)}`;
}

/** What to change: the node count, or a server class, and why a larger class would not help. */
function fixFor(measured: MeasuredFigures, sizing: StackSizing, plan: ServerCountPlan): string {
  const byPrice = Object.entries(SERVER_CLASSES)
    .map(([name, server]) => ({ name, plan: planServerCount(measured, server, sizing) }))
    .filter((c) => c.plan.nodes !== Infinity)
    .sort((a, b) => a.plan.eurPerMonth - b.plan.eurPerMonth);
  if (plan.nodes === Infinity) {
    // No server size or tour size helps a report whose first step already broke the budget: only a new measurement.
    if (measured.listenersPerCoreWithinLatency === 0)
      return "Rerun npm run bench:capacity on a quiet machine: its first step was already over the 200 ms latency budget, so the committed report admits no tour";
    const cheapest = byPrice[0];
    return cheapest
      ? `Choose serverType ${cheapest.name} with roamcast:livekitNodes ${cheapest.plan.nodes}`
      : `Lower roamcast:listenersPerTour: no server class carries one tour of ${sizing.listenersPerTour}`;
  }
  const larger = byPrice.find((c) => c.plan.nodes <= sizing.livekitNodes)?.name;
  if (larger) return `Set roamcast:livekitNodes to ${plan.nodes} or choose serverType ${larger}`;
  const why =
    plan.binds === "traffic"
      ? `; a larger serverType does not help (each carries ${plan.trafficPerServerTB} TB a month)`
      : "";
  return `Set roamcast:livekitNodes to ${plan.nodes}${why}`;
}
