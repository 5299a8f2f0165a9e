// npm run bench:report -- [dir]: rewrites capacity.md and capacity.png from the
// raw figures in capacity.json, after a change to the report's wording or chart.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type BenchReport, writeReport } from "./report";

const dir = resolve(process.argv[2] ?? join(__dirname, "results"));
const { derived: _derived, ...report } = JSON.parse(readFileSync(join(dir, "capacity.json"), "utf8")) as BenchReport & {
  derived: unknown;
};
writeReport(dir, report).then(
  () => console.log(`rewrote the report in ${dir}`),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
