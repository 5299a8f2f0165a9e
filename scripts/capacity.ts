// npm run capacity [-- --stack <name>]
// Combines the benchmark's measured figures (bench/results/capacity.json)
// with each stack's sizing and season and prints how many LiveKit servers
// the season needs, by CPU, memory and latency and by traffic, and what they cost.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BOUND_NAMES, measuredFigures, planServerCount, SERVER_CLASSES } from "../plans/capacity";
import { readStackSettings } from "../config/stackFile";
import { type Cli, InputError, runCli } from "./cli";

const SPEC = {
  usage: "usage: npm run capacity -- [--stack <name>]",
  help: `
Combines the committed benchmark (bench/results/capacity.json) with a stack's
sizing (serverType, listenersPerTour, tourHours, monthlyTrafficTb) and season
(peakConcurrentTours, toursPerMonth) and prints tours per server by CPU,
memory and the audio's latency budget, servers needed for the peak and by
traffic, which one binds, the number of servers N (what roamcast:livekitNodes
should be at least) and their cost.

  --stack <name>   only this stack's Pulumi.<name>.yaml (default: every Pulumi.<stack>.yaml)
  -h, --help       this text
`,
  options: { stack: { type: "string" } },
} as const;

/** The stacks with a stack file in `root`, by name. */
export function stackNames(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** The planner's printout for a stack, from the committed benchmark report in `root`. */
export function capacityReport(root: string, stack: string): string[] {
  const settings = readStackSettings(root, stack);
  const server = SERVER_CLASSES[settings.serverType];
  if (!server)
    throw new InputError(
      `no capacity figures for server type ${settings.serverType}; known: ${Object.keys(SERVER_CLASSES).join(", ")}`,
    );
  const measured = measuredFigures(JSON.parse(readFileSync(join(root, "bench", "results", "capacity.json"), "utf8")));
  // The node count only matters to the warning; the plan itself does not read it.
  const sizing = { ...settings, livekitNodes: 1 };
  const plan = planServerCount(measured, server, sizing);
  const per = plan.perServer;
  return [
    `stack ${settings.stack}: ${settings.serverType} (${server.vcpu} vCPU, ${server.ramMiB / 1024} GB), ${settings.listenersPerTour} listeners per tour, tours of ${settings.tourHours} h`,
    `  tours per server at 80 %:     ${Math.floor(per.toursByCpu)} by CPU, ${Math.floor(per.toursByMemory)} by memory (CPU: ${per.cpuFigure})`,
    `  tours per server in 200 ms:   ${latencyLine(per.toursByLatency, measured.listenersPerCoreWithinLatency)}`,
    `  traffic per tour:             ${per.trafficPerTourGB.toFixed(2)} GB; ${per.toursPerMonthByTraffic} tours a month in ${plan.trafficPerServerTB} TB`,
    `  servers for the peak:         ${plan.nodesByCompute} for ${settings.peakConcurrentTours} tours at once (${BOUND_NAMES[per.limitedBy]} binds per server)`,
    `  servers by traffic:           ${plan.nodesByTraffic} for ${settings.toursPerMonth} tours in the busiest month (${plan.monthlyTrafficTB.toFixed(1)} TB)`,
    `  binds:                        ${BOUND_NAMES[plan.binds]} (unrounded: ${plan.computeNeed.toFixed(2)} servers by ${BOUND_NAMES[per.limitedBy]}, ${plan.trafficNeed.toFixed(2)} by traffic)`,
    `  servers needed (N):           ${plan.nodes} (roamcast:livekitNodes at least this)`,
    `  cost:                         EUR ${plan.eurPerMonth.toFixed(2)} a month, EUR ${plan.eurPerTour.toFixed(4)} per tour in the busiest month (list price, before VAT)`,
    `  from bench/results/capacity.json (${measured.listenersPerTour} listeners per tour measured)`,
  ];
}

/** The latency bound's line: tours by latency, or that the benchmark's ramp did not reach it. */
function latencyLine(tours: number, listenersPerCore: number | undefined): string {
  if (listenersPerCore === undefined) return "not bound (the benchmark's p95 stayed under 200 ms at every step)";
  if (listenersPerCore === 0) return "0 by latency (the benchmark's p95 was over 200 ms from its first step)";
  return `${Math.floor(tours)} by latency (p95 under 200 ms up to ${Math.round(listenersPerCore)} listeners per core)`;
}

function main(cli: Cli<typeof SPEC.options>): number {
  const root = resolve(__dirname, "..");
  const stacks = cli.values.stack !== undefined ? [cli.required("stack")] : stackNames(root);
  for (const line of stacks.flatMap((stack) => capacityReport(root, stack))) console.log(line);
  return 0;
}

if (require.main === module) runCli(SPEC, main);
