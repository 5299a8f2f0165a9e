// The capacity report's arithmetic, on made-up steps whose answers are known.
import { describe, expect, it } from "vitest";
import {
  type BenchReport,
  derive,
  markdown,
  type StepResult,
  WIRE_OVERHEAD_BYTES_PER_PACKET,
} from "../../bench/report";

const step = (tours: number): StepResult => ({
  tours,
  listeners: tours * 30,
  livekitCpuCores: 0.01 + 0.05 * tours,
  livekitRssMiB: 50 + 40 * tours,
  generatorCpuCores: 0.15 * tours,
  egressRtpBytesPerListenerPerSecond: 7000,
  egressPacketsPerListenerPerSecond: 50,
  latencyP50Ms: 60,
  latencyP95Ms: 80,
  lossRatio: 0,
  joinP95Ms: 900,
});
const report: BenchReport = {
  command: "npm run bench:capacity",
  date: "2026-11-25T00:00:00Z",
  cpuModel: "test cpu",
  listenersPerTour: 30,
  livekitCpuGiven: 0.25,
  probesPerTour: 3,
  measureSeconds: 8,
  idle: { livekitCpuCores: 0.01, livekitRssMiB: 50 },
  steps: [1, 2, 3].map(step),
  stopReason: "test",
};

describe("capacity report", () => {
  it("takes CPU and memory per tour as the slope through idle and the steps", () => {
    const d = derive(report);
    expect(d.cpuCoresPerTour).toBeCloseTo(0.05, 10);
    expect(d.rssMiBPerTour).toBeCloseTo(40, 10);
  });

  it("projects tours at 80 % of the given CPU, of a core and of 4 vCPU", () => {
    const d = derive(report);
    expect(d.toursAt80PercentOfGiven).toBeCloseTo((0.2 - 0.01) / 0.05, 10);
    expect(d.toursAt80PercentOfOneCore).toBeCloseTo((0.8 - 0.01) / 0.05, 10);
    expect(d.toursAt80PercentOf4Vcpu).toBeCloseTo((3.2 - 0.01) / 0.05, 10);
  });

  it("adds the packet overhead LiveKit's byte counter leaves out", () => {
    expect(derive(report).wireBytesPerListenerPerSecond).toBe(7000 + 50 * WIRE_OVERHEAD_BYTES_PER_PACKET);
  });

  it("names the command that produced it and every step", () => {
    const md = markdown(report, derive(report));
    expect(md).toContain("Produced by `npm run bench:capacity`");
    expect(md.match(/^\| [123] \| /gm)).toHaveLength(3);
  });
});
