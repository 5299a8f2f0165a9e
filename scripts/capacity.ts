// npm run capacity -- --stack <name>
// Combines the benchmark's measured figures (bench/results/capacity.json)
// with the stack's sizing and prints what one server carries.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { planCapacity, SERVER_CLASSES } from "../plans/capacity";
import { readStackSettings } from "../config/stackFile";
import { measuredFigures } from "../plans/capacity";

function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { stack: { type: "string" } } });
  if (!values.stack) {
    console.error("usage: npm run capacity -- --stack <name>");
    return 2;
  }
  const root = resolve(__dirname, "..");
  const settings = readStackSettings(root, values.stack);
  const server = SERVER_CLASSES[settings.serverType];
  if (!server) {
    console.error(
      `no capacity figures for server type ${settings.serverType}; known: ${Object.keys(SERVER_CLASSES).join(", ")}`,
    );
    return 2;
  }
  const measured = measuredFigures(JSON.parse(readFileSync(join(root, "bench", "results", "capacity.json"), "utf8")));
  const plan = planCapacity(measured, server, settings.listenersPerTour, settings.tourHours);
  console.log(
    `stack ${settings.stack}: ${settings.serverType}, ${settings.listenersPerTour} listeners per tour, tours of ${settings.tourHours} h`,
  );
  console.log(`  concurrent tours per server:  ${plan.concurrentTours} (limited by ${plan.limitedBy}, at 80 %)`);
  console.log(
    `  peak planned:                 ${settings.peakConcurrentTours}${settings.peakConcurrentTours > plan.concurrentTours ? "  <- exceeds one server" : ""}`,
  );
  console.log(`  traffic per tour:             ${plan.trafficPerTourGB.toFixed(2)} GB`);
  console.log(`  tours per month in 20 TB:     ${plan.toursPerMonthByTraffic}`);
  console.log(
    `  cost per tour at that volume: EUR ${plan.eurPerTourAtTrafficLimit.toFixed(4)} (server list price, before VAT)`,
  );
  console.log(`  from bench/results/capacity.json (${measured.listenersPerTour} listeners per tour measured)`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
