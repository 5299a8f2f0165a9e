// The preview's capacity check: the stack's planned peak against what one
// server of its type carries, by the benchmark's committed figures.
import { existsSync, readFileSync } from "node:fs";
import type { StackSettings } from "../config/schema";
import { measuredFigures } from "../config/measured";
import { planCapacity, SERVER_CLASSES } from "./capacityPlan";

export function capacityWarning(settings: StackSettings, reportPath: string): string | undefined {
  const server = SERVER_CLASSES[settings.serverType];
  if (!server) return `no capacity figures for server type ${settings.serverType}; the sizing of this stack is unchecked`;
  if (!existsSync(reportPath)) return `no benchmark report at ${reportPath}; the sizing of this stack is unchecked`;
  const plan = planCapacity(measuredFigures(JSON.parse(readFileSync(reportPath, "utf8"))), server, settings.listenersPerTour, settings.tourHours);
  if (settings.peakConcurrentTours <= plan.concurrentTours) return undefined;
  return `roamcast:peakConcurrentTours is ${settings.peakConcurrentTours}, but one ${settings.serverType} carries about ${plan.concurrentTours} tours of ${settings.listenersPerTour} listeners (limited by ${plan.limitedBy}, bench/results/capacity.md); choose a larger serverType or lower the peak`;
}
