// The README's capacity and cost figures are the planner's: each one is
// recomputed here from the committed benchmark report and plans/capacity.ts,
// so a new benchmark or a new price fails this test until the README follows.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { measuredFigures, planCapacity, SERVER_CLASSES } from "../../plans/capacity";
import { readStackSettings } from "../../config/stackFile";
import { capacityReport, stackNames } from "../../scripts/capacity";

const root = join(__dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
/** The README as running text: line breaks and indents inside a sentence are one space. */
const prose = readme.replace(/\s+/g, " ");
const report = JSON.parse(readFileSync(join(root, "bench", "results", "capacity.json"), "utf8"));
const measured = measuredFigures(report);
const prod = readStackSettings(root, "prod");
const server = SERVER_CLASSES[prod.serverType]!;
const plan = planCapacity(measured, server, prod.listenersPerTour, prod.tourHours);

/** The README's figure captured by `pattern`'s groups; fails if the README no longer says it. */
function stated(pattern: RegExp, text = prose): string[] {
  const match = pattern.exec(text);
  expect(match, `README.md no longer matches ${pattern}`).not.toBeNull();
  return match!.slice(1);
}

const kBps = (measured.wireBytesPerListenerPerSecond / 1000).toFixed(1);
const thousands = (n: number) => n.toLocaleString("en-US");
/** Two significant figures, as the README rounds a derived estimate. */
const rounded = (n: number) => thousands(Number(n.toPrecision(2)));

describe("README figures", () => {
  it("quotes `npm run capacity` exactly as it prints for every stack file from the committed report", () => {
    const [block] = stated(/\$ npm run capacity\n([\s\S]*?)\n```/, readme);
    expect(stackNames(root)).toEqual(["dev", "prod"]);
    expect(block!.split("\n")).toEqual(stackNames(root).flatMap((stack) => capacityReport(root, stack)));
  });

  // The patterns accept the README's older wording (≈, KB/s), so a drifted figure fails on its value.
  it("gives the listener's measured bandwidth, the listener-hours and the tours a month the planner computes", () => {
    const listenerHours = server.trafficBytes / measured.wireBytesPerListenerPerSecond / 3600;
    expect(stated(/A listener with RED takes ≈?([\d.]+) [kK]B\/s/)).toEqual([kBps]);
    expect(stated(/so (\d+) TB carries about ([\d,]+) listener-hours a month/)).toEqual([
      String(server.trafficBytes / 1e12),
      rounded(listenerHours),
    ]);
    expect(stated(/listener-hours a month — some ([\d,]+) /)).toEqual([thousands(plan.toursPerMonthByTraffic)]);
    expect(stated(/some [\d,]+ tours of (\d+) h with (\d+) listeners/)).toEqual([
      String(prod.tourHours),
      String(prod.listenersPerTour),
    ]);
  });

  it("gives the server's price, cores, memory and traffic as the planner's price list has them", () => {
    expect(stated(/A (CX\d+) with a primary IPv4 (?:lists at|costs about) €([\d.–]+) a month/)).toEqual([
      prod.serverType.toUpperCase(),
      server.eurPerMonth.toFixed(2),
    ]);
    expect(stated(/CX33 \(CX32 class: (\d+) vCPU, (\d+) GB\)/)).toEqual([
      String(server.vcpu),
      String(server.ramMiB / 1024),
    ]);
    expect(stated(/the same (\d+) shared vCPU and (\d+) GB \(80 GB disk, (\d+) TB traffic/)).toEqual([
      String(server.vcpu),
      String(server.ramMiB / 1024),
      String(server.trafficBytes / 1e12),
    ]);
    expect(stated(/within the (\d+) TB allowance/)).toEqual([String(server.trafficBytes / 1e12)]);
    const [priceFile] = stated(/The list prices in `([^`]+)`/);
    expect(existsSync(join(root, priceFile!)) && readFileSync(join(root, priceFile!), "utf8")).toContain(
      "SERVER_CLASSES",
    );
  });

  it("gives a tour's bandwidth with RED as measured", () => {
    expect(stated(/RED roughly doubles a listener's bandwidth \(≈?([\d.]+) [kK]B\/s/)).toEqual([kBps]);
    expect(stated(/at (\d+) listeners that is (?:still under )?([\d.]+) MB\/s per tour/)).toEqual([
      String(prod.listenersPerTour),
      ((measured.wireBytesPerListenerPerSecond * prod.listenersPerTour) / 1e6).toFixed(2),
    ]);
  });

  it("shows the command that produced the committed report, with its tour size", () => {
    expect(readme).toContain(`\n${report.command}\n`);
    expect(stated(/It adds tours of (\d+) listeners/)).toEqual([String(report.listenersPerTour)]);
    expect(existsSync(join(root, "bench", "results", "capacity.md"))).toBe(true);
  });
});
