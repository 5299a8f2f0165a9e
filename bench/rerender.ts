// npm run bench:report -- [dir]: rewrites capacity.md and capacity.png from the
// raw figures in capacity.json, after a change to the report's wording or chart.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Cli, InputError, runCli } from "../scripts/cli";
import { type BenchReport, crossCheckOfRounds } from "./report";
import { writeReport } from "./writeReport";

const SPEC = {
  usage: "usage: npm run bench:report -- [dir]",
  help: `
Rewrites capacity.md and capacity.png in dir (default bench/results) from the raw
figures in its capacity.json, after a change to the report's wording or chart.
Measures nothing: to measure again, run npm run bench:capacity.

  dir          the folder holding capacity.json (default bench/results)
  -h, --help   this text
`,
  options: {},
  positionals: 1,
} as const;

async function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const dir = resolve(cli.positionals[0] ?? join(__dirname, "results"));
  const file = join(dir, "capacity.json");
  if (!existsSync(file))
    throw new InputError(`${file} does not exist: name the folder of a report written by npm run bench:capacity`);
  // The derived figures and the lever table are recomputed from the raw steps.
  const {
    derived: _derived,
    levers: _levers,
    ...report
  } = JSON.parse(readFileSync(file, "utf8")) as BenchReport & {
    derived: unknown;
    levers: unknown;
  };
  if (!Array.isArray(report.leverRuns))
    throw new InputError(`${file} has no leverRuns: it predates the full-core benchmark; run npm run bench:capacity`);
  // The cross-check's summary too, from its rounds, when it has them.
  const c = report.crossCheck;
  const crossCheck = c?.rounds ? crossCheckOfRounds(c.listeners, c.tours, c.rounds) : c;
  await writeReport(dir, { ...report, ...(crossCheck ? { crossCheck } : {}) });
  console.log(`rewrote the report in ${dir}`);
  return 0;
}

if (require.main === module) runCli(SPEC, main);
