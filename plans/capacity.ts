// Pure capacity planning from the benchmark's measured figures
// (bench/results/capacity.json) and a stack's sizing: how many tours one
// server carries at once, how many fit in the monthly traffic allowance, and
// what a tour costs.
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
export function planCapacity(measured: MeasuredFigures, server: ServerClass, listenersPerTour: number, tourHours: number): CapacityPlan {
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
