// The capacity report's figures and text, on made-up steps whose answers are known.
import { describe, expect, it } from "vitest";
import { renderChart } from "../../bench/chart";
import { LEVERS } from "../../bench/levers";
import {
  type BenchReport,
  crowdCalibration,
  type CrossCheck,
  crossCheckOfRounds,
  type CrossCheckRound,
  median,
  type CrowdMeasurement,
  derive,
  type LeverRun,
  leverFigures,
  type StepResult,
  WIRE_OVERHEAD_BYTES_PER_PACKET,
} from "../../bench/report";
import { crossCheckText, roundRatios } from "../../bench/crossCheckMarkdown";
import { clientAdvice, leverTable, markdown } from "../../bench/reportMarkdown";
import { settingsOf } from "../../bench/steps";
import { reportWith, step } from "../support/benchSteps";

const run = (name: string, perListener: number, steps: StepResult[]): LeverRun => ({
  name,
  settings: settingsOf(LEVERS.find((l) => l.name === name)!),
  idle: { livekitCpuCores: 0.02, livekitRssMiB: 50 },
  steps,
  stopReason: "test",
});

const baseline = run(
  "baseline",
  0.0004,
  [10, 20, 30, 40, 50, 60, 70].map((t) => step(t, 0.0004)),
);
// Measured with an older crowd, which the report names: a report is re-rendered with the crowd it was measured with.
const sixty: LeverRun = {
  ...run(
    "60 ms frames",
    0.0002,
    [10, 20, 30].map((t) => step(t, 0.0002)),
  ),
  crowd: "lean-ports",
};
const crossCheck: CrossCheck = {
  listeners: 150,
  tours: 5,
  guidesOnlyLivekitCpuCores: 0.03,
  lean: {
    client: "lean",
    livekitCpuCores: 0.09,
    livekitCpuCoresPerListener: 0.0004,
    crowdCpuCoresPerListener: 0.0003,
    generatorCoreBusy: 0.2,
    silent: 0,
    failed: 0,
  },
  sdk: {
    client: "sdk",
    livekitCpuCores: 0.1,
    livekitCpuCoresPerListener: 0.00044,
    crowdCpuCoresPerListener: 0.004,
    generatorCoreBusy: 0.8,
    silent: 0,
    failed: 0,
  },
};
const report: BenchReport = reportWith(baseline, {
  leverRuns: [baseline, sixty],
  crossCheck,
});

describe("a lever's figures", () => {
  it("take CPU per listener as the slope through idle and the steps, and listeners at 80 % where it crosses", () => {
    const f = leverFigures(baseline);
    expect(f.cpuCoresPerListener).toBeCloseTo(0.0004, 12);
    expect(f.listenersPerCoreAt80).toBeCloseTo((0.8 - 0.02) / 0.0004, 6);
    expect(f.reachedCeiling).toBe(true);
    expect(leverFigures(sixty).reachedCeiling).toBe(false);
  });

  it("leave out a step at which the generator saturated", () => {
    const skewed = run("baseline", 0.0004, [step(10, 0.0004), step(20, 0.0004), step(30, 0.001, { valid: false })]);
    const f = leverFigures(skewed);
    expect(f.cpuCoresPerListener).toBeCloseTo(0.0004, 12);
    expect(f.validSteps).toBe(2);
    expect(f.maxListeners).toBe(600);
  });

  it("keep the sampled tours' fixed cost in the intercept: two or more steps are fitted without idle", () => {
    const withSampled = {
      ...baseline,
      steps: [10, 20, 30].map((t) => step(t, 0.0004, { livekitCpuCores: 0.1 + 0.0004 * t * 30 })),
    };
    const f = leverFigures(withSampled);
    expect(f.cpuCoresPerListener).toBeCloseTo(0.0004, 12);
    expect(f.listenersPerCoreAt80).toBeCloseTo(0.7 / 0.0004, 6);
    const one = leverFigures({ ...baseline, steps: [step(10, 0.0004)] });
    expect(one.cpuCoresPerListener).toBeCloseTo(0.0004, 12);
  });

  it("add the packet overhead LiveKit's byte counter leaves out, and keep the worst latency and loss", () => {
    const f = leverFigures(sixty);
    expect(f.wireBytesPerListenerPerSecond).toBe(7000 + 50 * WIRE_OVERHEAD_BYTES_PER_PACKET);
    expect(f.latencyP95Ms).toBe(90);
    expect(f.loss).toBeCloseTo(0.03, 12);
  });
});

describe("derived figures for the planner", () => {
  it("keep the keys plans/capacity.ts reads, from the baseline", () => {
    const { derived } = derive(report);
    expect(derived.cpuCoresPerTour).toBeCloseTo(0.012, 12);
    expect(derived.rssMiBPerTour).toBeCloseTo(4, 12);
    expect(derived.wireBytesPerListenerPerSecond).toBe(7000 + 50 * WIRE_OVERHEAD_BYTES_PER_PACKET);
    expect(derived.listenersPerCoreAt80).toBeCloseTo(1950, 6);
    expect(derived.toursAt80PercentOf4Vcpu).toBeCloseTo(260, 6);
  });

  it("state the cross-check's margin and whether it is within ±15 %", () => {
    const { derived } = derive(report);
    expect(derived.crossCheckMargin).toBeCloseTo(0.04 / 0.44, 12);
    expect(derived.crossCheckAgrees).toBe(true);
    const far = { ...crossCheck, lean: { ...crossCheck.lean, livekitCpuCoresPerListener: 0.0003 } };
    expect(derive({ ...report, crossCheck: far }).derived.crossCheckAgrees).toBe(false);
  });

  it("calibrate lean-crowd figures to the SDK crowd when the cross-check disagrees, and say by how much", () => {
    const far = { ...crossCheck, lean: { ...crossCheck.lean, livekitCpuCoresPerListener: 0.0002 } };
    expect(crowdCalibration(far)).toBeCloseTo(2.2, 12);
    expect(crowdCalibration(crossCheck)).toBe(1);
    expect(crowdCalibration(undefined)).toBe(1);
    const { derived, levers } = derive({ ...report, crossCheck: far });
    expect(derived.crowdCalibration).toBeCloseTo(2.2, 12);
    expect(derived.cpuCoresPerListener).toBeCloseTo(0.0004 * 2.2, 12);
    expect(derived.measuredListenersPerCoreAt80).toBeCloseTo(1950, 6);
    expect(derived.listenersPerCoreAt80).toBeCloseTo((0.8 - 0.02) / (0.0004 * 2.2), 6);
    expect(levers[1]!.measuredCpuCoresPerListener).toBeCloseTo(0.0002, 12);
    expect(levers[1]!.cpuCoresPerListener).toBeCloseTo(0.00044, 12);
    expect(markdown({ ...report, crossCheck: far }, derived, levers)).toContain("× 2.20 CPU per listener");
  });

  it("give the generator's own cost per crowd listener at the last valid step", () => {
    expect(derive(report).derived.generatorCpuCoresPerListener).toBeCloseTo((0.06 * 70) / (70 * 30 - 6), 12);
  });
});

describe("the report's text", () => {
  const { derived, levers } = derive(report);

  it("sets the levers side by side in one table", () => {
    expect(leverTable(levers)).toBe(
      [
        "| lever | guide publishes; server | listeners per core at 80 % | as measured (crowd) | LiveKit cores per 1,000 listeners | wire kB/s per listener | latency p95 ms | loss: probes / crowd | steps |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| baseline | 20 ms, RED on, DTX on, speech 100 %; rendered livekit.yaml | 1,950 | 1,950 (lean-addrs) | 0.400 | 8.90 | 130 | 7.00 % / 0.700 % | 7, up to 2,100 |",
        "| 60 ms frames | 60 ms, RED on, DTX on, speech 100 %; rendered livekit.yaml | 3,900 (projected) | 3,900 (lean-ports) | 0.200 | 8.90 | 90 | 3.00 % / 0.300 % | 3, up to 900 |",
      ].join("\n"),
    );
  });

  it("states the cross-check's figures, margin and verdict", () => {
    const text = crossCheckText(crossCheck, derived);
    expect(text).toContain("| 1 | lean | 9.0 % | 3.0 % | 0.400 | 0.300 | 20 % | 0 / 0 |");
    expect(text).toContain("| 1 | sdk | 10.0 % | 3.0 % | 0.440 | 4.000 | 80 % | 0 / 0 |");
    expect(text).toContain(
      "median figure is **9.1 %** from the SDK crowd's: they **agree** within the\nstated margin of ±15 %",
    );
    expect(text).toContain("The lean crowd's figures are used as measured.");
    expect(text).not.toContain("median** |");
    expect(crossCheckText(undefined, derive({ ...report, crossCheck: undefined }).derived)).toBe(
      "Not run in this report (`--cross-check 0`).",
    );
  });

  it("with a phone's and no reports beside the SDK's, says what the reports cost LiveKit and which the figures use", () => {
    const lean = (client: CrowdMeasurement["client"], perListener: number): CrowdMeasurement => ({
      ...crossCheck.lean,
      client,
      livekitCpuCoresPerListener: perListener,
    });
    const round: CrossCheckRound = {
      guidesOnlyLivekitCpuCores: 0.03,
      lean: lean("lean", 0.0004),
      leanPhone: lean("lean-phone", 0.00022),
      leanNoReports: lean("lean-no-reports", 0.0002),
      sdk: crossCheck.sdk,
    };
    const c = crossCheckOfRounds(150, 5, [round, round, round]);
    expect(c.leanPhone?.livekitCpuCoresPerListener).toBeCloseTo(0.00022, 12);
    const text = crossCheckText(c, derive({ ...report, crossCheck: c }).derived);
    expect(text).toContain("| **median** | lean-phone | 9.0 % | 3.0 % | 0.220 |");
    expect(text).toContain("the SDK's\n+100.0 %, a phone's +10.0 %.");
    expect(text).toContain("The capacity figures use a phone's\nreports");
    expect(text).toContain("\`--reports phone\`: a receiver report\nabout every 5 s");
  });

  it("uses the lean figures as measured when the lean crowd made LiveKit work harder than the SDK crowd", () => {
    const dear = { ...crossCheck, lean: { ...crossCheck.lean, livekitCpuCoresPerListener: 0.0008 } };
    const d = derive({ ...report, crossCheck: dear }).derived;
    expect([d.crossCheckAgrees, d.crowdCalibration]).toEqual([false, 1]);
    expect(crossCheckText(dear, d)).toContain("its figures are used as measured, which errs on LiveKit's dear side.");
    expect(crossCheckText(dear, d)).not.toContain("multiplied by");
  });

  it("summarises the rounds by medians, so one far-off round does not move the verdict", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const sdk = (perListener: number): CrowdMeasurement => ({
      ...crossCheck.sdk,
      livekitCpuCoresPerListener: perListener,
    });
    const rounds = [0.00042, 0.0012, 0.00046].map((x) => ({
      guidesOnlyLivekitCpuCores: 0.03,
      lean: crossCheck.lean,
      sdk: sdk(x),
    }));
    const c = crossCheckOfRounds(150, 5, rounds);
    expect(c.sdk.livekitCpuCoresPerListener).toBeCloseTo(0.00046, 12);
    expect(derive({ ...report, crossCheck: c }).derived.crossCheckAgrees).toBe(true);
  });

  it("lists every round, the medians, the round-to-round spread and what the polled crowd shows", () => {
    const polled = (perListener: number): CrowdMeasurement => ({
      ...crossCheck.lean,
      client: "lean-polled",
      livekitCpuCoresPerListener: perListener,
    });
    const rounds: CrossCheckRound[] = [
      { guidesOnlyLivekitCpuCores: 0.03, lean: crossCheck.lean, leanPolled: polled(0.0005), sdk: crossCheck.sdk },
      {
        guidesOnlyLivekitCpuCores: 0.05,
        lean: { ...crossCheck.lean, livekitCpuCoresPerListener: 0.0002, silent: 2 },
        leanPolled: polled(0.0003),
        sdk: { ...crossCheck.sdk, livekitCpuCoresPerListener: 0.0006, failed: 1 },
      },
    ];
    const c = crossCheckOfRounds(150, 5, rounds);
    expect(c.guidesOnlyLivekitCpuCores).toBeCloseTo(0.04, 12);
    expect(c.lean.livekitCpuCoresPerListener).toBeCloseTo(0.0003, 12);
    expect(c.sdk.livekitCpuCoresPerListener).toBeCloseTo(0.00052, 12);
    expect(c.leanPolled?.livekitCpuCoresPerListener).toBeCloseTo(0.0004, 12);
    expect([c.lean.silent, c.sdk.failed]).toEqual([2, 1]);
    expect(roundRatios(c).low).toBeCloseTo(1.1, 12);
    expect(roundRatios(c).high).toBeCloseTo(3, 12);
    const d = derive({ ...report, crossCheck: c }).derived;
    expect(d.crowdCalibration).toBeCloseTo(0.00052 / 0.0003, 12);
    const text = crossCheckText(c, d);
    expect(text).toContain("one fresh LiveKit, 2 rounds.");
    expect(text).toContain("| 2 | lean-polled | 9.0 % | 5.0 % | 0.300 |");
    expect(text).toContain("| **median** | sdk | 10.0 % | 4.0 % | 0.520 |");
    expect(text).toContain("they **do not agree** within the");
    expect(text).toContain("Round by round, the SDK crowd's figure was 1.10–3.00 times the lean crowd's.");
    expect(text).toContain("multiplied by 1.73 (the SDK crowd's median CPU per listener over the lean crowd's)");
    expect(text).toContain("polled lean crowd\n+33.3 % against the lean crowd, −23.1 % against the SDK crowd.");
    expect(text).not.toContain("agree within ±15 %: what the lean crowd leaves");
    const near = crossCheckOfRounds(150, 5, [{ ...rounds[0]!, leanPolled: polled(0.00042) }]);
    expect(crossCheckText(near, derive({ ...report, crossCheck: near }).derived)).toContain(
      "The polled lean crowd and the SDK crowd agree within ±15 %: what the lean crowd leaves",
    );
    expect(() => crossCheckOfRounds(150, 5, [])).toThrow("a cross-check needs at least one round");
    const noPolled = crossCheckOfRounds(150, 5, [rounds[0]!, { ...rounds[1]!, leanPolled: undefined }]);
    expect(noPolled.leanPolled).toBeUndefined();
  });

  it("names the settings the cross-check ran with when they are not the baseline's, and why", () => {
    const round = {
      ...crossCheck,
      rounds: undefined,
      leanPorts: { ...crossCheck.lean, client: "lean-ports" as const },
    };
    const c = crossCheckOfRounds(150, 5, [round], "port range, RED off (20 ms, RED off)");
    expect(c.setup).toBe("port range, RED off (20 ms, RED off)");
    const text = crossCheckText(c, derive({ ...report, crossCheck: c }).derived);
    expect(text).toContain("150 listeners in 5 tours (Go guides) on one fresh LiveKit, 1 round.");
    expect(text).toContain(
      "LiveKit and the guides are set as port range, RED off (20 ms, RED off): the lean crowd's one",
    );
    expect(text).toContain("| 1 | lean-ports | 9.0 % |");
    expect(crossCheckOfRounds(150, 5, [round])).not.toHaveProperty("setup");
  });

  it("names the lean crowds' client when they have an address per listener, on the rendered mux", () => {
    const round = {
      ...crossCheck,
      rounds: undefined,
      leanPhone: { ...crossCheck.lean, client: "lean-phone" as const },
      leanNoReports: { ...crossCheck.lean, client: "lean-no-reports" as const },
    };
    const c = crossCheckOfRounds(150, 5, [round], "rendered mux, RED off (20 ms, RED off)", "lean-addrs");
    expect(c.leanClient).toBe("lean-addrs");
    const text = crossCheckText(c, derive({ ...report, crossCheck: c }).derived);
    expect(text).toContain(
      "LiveKit and the guides are set as rendered mux, RED off (20 ms, RED off): the SDK crowd's pion",
    );
    expect(text).not.toContain("shared socket cannot join");
    expect(text).toContain(
      "with an address per listener on one socket (`--client lean-addrs`, the crowd every other figure in this report is",
    );
    expect(crossCheckOfRounds(150, 5, [round])).not.toHaveProperty("leanClient");
  });

  it("compares LiveKit's CPU outside its packet writes when the windows were profiled, and says how far apart with them", () => {
    const profiled = (m: CrowdMeasurement, share: number, outside: number): CrowdMeasurement => ({
      ...m,
      livekitWriteShare: share,
      livekitCpuCoresPerListenerOutsideWrites: outside,
    });
    // With the writes the SDK crowd costs 2.2 times the lean crowd; outside them, 1.08 times.
    const round: CrossCheckRound = {
      guidesOnlyLivekitCpuCores: 0.03,
      guidesOnlyLivekitCpuCoresOutsideWrites: 0.027,
      lean: profiled({ ...crossCheck.lean, livekitCpuCoresPerListener: 0.0002 }, 0.1, 0.00025),
      sdk: profiled(crossCheck.sdk, 0.4, 0.00027),
    };
    const c = crossCheckOfRounds(150, 5, [round, round]);
    expect(c.guidesOnlyLivekitCpuCoresOutsideWrites).toBeCloseTo(0.027, 12);
    expect(c.sdk.livekitWriteShare).toBeCloseTo(0.4, 12);
    expect(crowdCalibration(c)).toBe(1);
    const d = derive({ ...report, crossCheck: c }).derived;
    expect(d.crossCheckMargin).toBeCloseTo(0.02 / 0.27, 12);
    expect(d.crossCheckAgrees).toBe(true);
    const text = crossCheckText(c, d);
    expect(text).toContain("| 1 | sdk | 10.0 % | 3.0 % | 0.440 | 40 % | 0.270 | 4.000 | 80 % | 0 / 0 |");
    expect(text).toContain("The verdict compares LiveKit's CPU per listener **outside its packet-write system calls**");
    expect(text).toContain("With the writes, the crowds were 54.5 % apart (the SDK crowd's writes took\n40 %");
    expect(text).toContain("Round by round, the SDK crowd's figure was 1.08–1.08 times the lean crowd's.");
    // One round without a profile: no outside-writes median, and the verdict falls back to all of LiveKit's CPU.
    const mixed = crossCheckOfRounds(150, 5, [round, { ...round, lean: crossCheck.lean, sdk: crossCheck.sdk }]);
    expect(mixed.lean.livekitCpuCoresPerListenerOutsideWrites).toBeUndefined();
    expect(crossCheckText(mixed, derive({ ...report, crossCheck: mixed }).derived)).not.toContain("outside its packet");
  });

  it("states the goals as budgets per forwarded packet beside LiveKit's published cost", () => {
    const md = markdown(report, derived, levers);
    expect(md).toContain("## The goals per forwarded packet");
    // The baseline: 0.4 cores per 1,000 listeners at 50 packets a second is 8 µs a packet.
    expect(md).toContain("| 2,000 | baseline | 50.0 | 8.0 | 8.0 | 1,125 |");
    expect(md).toContain("| 4,000 | 60 ms frames | 50.0 | 4.0 | 4.0 | 1,125 |");
  });

  it("turns the client-side levers into the guide app's advice", () => {
    expect(clientAdvice(levers)).toContain(
      "- 60 ms frames: 3,900 listeners per core (+100 %), 8.9 kB/s per listener, p95 90 ms\n\nagainst the baseline's 1,950",
    );
    expect(clientAdvice(levers.slice(0, 1))).toBe("no client-side lever was measured in this run.");
  });

  it("names the command, the load average, the goal, and every baseline step", () => {
    const md = markdown(report, derived, levers);
    expect(md).toContain("Produced by `npm run bench:capacity` on 2026-11-30");
    expect(md).toContain("load average before\n0.50 1.00 2.00, after 1.20 1.00 1.50");
    expect(md).toContain("**1,950 listeners per core at 80 %**");
    expect(md).toContain("goal ≥ 2,000: **not met**");
    expect(md).toContain("Best lever: **60 ms frames**, 3,900 listeners per core");
    expect(md.match(/^\| [1-7]0 \| \d+ \| /gm)).toHaveLength(7);
  });
});

describe("the chart", () => {
  it("renders a PNG of the levers", async () => {
    const png = await renderChart([baseline, sixty]);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.length).toBeGreaterThan(10_000);
  }, 30_000);
});
