// npm run capacity -- --stack <name>
// Combines the benchmark's measured figures (bench/results/capacity.json)
// with the stack's sizing and prints what one server carries.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { measuredFigures, planCapacity, SERVER_CLASSES } from "../plans/capacity";
import { readStackSettings } from "../config/stackFile";
import { type Cli, InputError, runCli } from "./cli";

const SPEC = {
  usage: "usage: npm run capacity -- --stack <name>",
  help: `
Combines the committed benchmark (bench/results/capacity.json) with the stack's
sizing (serverType, listenersPerTour, tourHours, peakConcurrentTours) and prints
concurrent tours per server, traffic per tour, tours a month within the traffic
allowance and the server cost per tour.

  --stack <name>   the stack whose Pulumi.<name>.yaml to plan for, e.g. dev or prod
  -h, --help       this text
`,
  options: { stack: { type: "string" } },
} as const;

/** The planner's printout for a stack, from the committed benchmark report in `root`. */
export function capacityReport(root: string, stack: string): string[] {
  const settings = readStackSettings(root, stack);
  const server = SERVER_CLASSES[settings.serverType];
  if (!server)
    throw new InputError(
      `no capacity figures for server type ${settings.serverType}; known: ${Object.keys(SERVER_CLASSES).join(", ")}`,
    );
  const measured = measuredFigures(JSON.parse(readFileSync(join(root, "bench", "results", "capacity.json"), "utf8")));
  const plan = planCapacity(measured, server, settings.listenersPerTour, settings.tourHours);
  const exceeds = settings.peakConcurrentTours > plan.concurrentTours ? "  <- exceeds one server" : "";
  return [
    `stack ${settings.stack}: ${settings.serverType}, ${settings.listenersPerTour} listeners per tour, tours of ${settings.tourHours} h`,
    `  concurrent tours per server:  ${plan.concurrentTours} (limited by ${plan.limitedBy}, at 80 %)`,
    `  peak planned:                 ${settings.peakConcurrentTours}${exceeds}`,
    `  traffic per tour:             ${plan.trafficPerTourGB.toFixed(2)} GB`,
    `  tours per month in ${server.trafficBytes / 1e12} TB:     ${plan.toursPerMonthByTraffic}`,
    `  cost per tour at that volume: EUR ${plan.eurPerTourAtTrafficLimit.toFixed(4)} (server list price, before VAT)`,
    `  from bench/results/capacity.json (${measured.listenersPerTour} listeners per tour measured)`,
  ];
}

function main(cli: Cli<typeof SPEC.options>): number {
  for (const line of capacityReport(resolve(__dirname, ".."), cli.required("stack"))) console.log(line);
  return 0;
}

if (require.main === module) runCli(SPEC, main);
