// Reads the figures the capacity benchmark measured, from its committed report.
import type { MeasuredFigures } from "../components/capacityPlan";

export function measuredFigures(report: { listenersPerTour: number; derived: Record<string, number> }): MeasuredFigures {
  const { cpuCoresPerTour, rssMiBPerTour, wireBytesPerListenerPerSecond } = report.derived;
  for (const [k, v] of Object.entries({ cpuCoresPerTour, rssMiBPerTour, wireBytesPerListenerPerSecond })) {
    if (!(typeof v === "number" && v > 0)) throw new Error(`bench/results/capacity.json has no positive ${k}; rerun npm run bench:capacity`);
  }
  return { listenersPerTour: report.listenersPerTour, cpuCoresPerTour: cpuCoresPerTour!, rssMiBPerTour: rssMiBPerTour!, wireBytesPerListenerPerSecond: wireBytesPerListenerPerSecond! };
}
