// The report files: JSON (raw steps and derived figures; the capacity planner,
// plans/capacity.ts, reads it), Markdown and a PNG chart.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderChart } from "./chart";
import { usable } from "./fit";
import { BASELINE } from "./pairedRounds";
import { type BenchReport, derive } from "./report";
import { markdown } from "./reportMarkdown";

export async function writeReport(dir: string, report: BenchReport): Promise<void> {
  if (report.steps.filter(usable).length === 0)
    throw new Error(
      "the baseline recorded no usable step (each saturated the generator or left its crowd silent); nothing to report",
    );
  mkdirSync(dir, { recursive: true });
  const { derived, levers } = derive(report);
  writeFileSync(join(dir, "capacity.json"), JSON.stringify({ ...report, derived, levers }, null, 2) + "\n");
  writeFileSync(join(dir, "capacity.md"), markdown(report, derived, levers));
  const paired = levers.flatMap((l) => (l.paired && l.name !== BASELINE ? [l.paired] : []));
  writeFileSync(
    join(dir, "capacity.png"),
    await renderChart(report.leverRuns, report.leverRounds ? paired : undefined),
  );
}
