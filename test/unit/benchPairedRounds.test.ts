// The levers' paired rounds: ratios within a round, verdicts, and the report built from them, on made-up arms.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderChart } from "../../bench/chart";
import { LEVERS } from "../../bench/levers";
import { pairedLeverTable, roundsTable } from "../../bench/leverRoundsMarkdown";
import { armCpuPerListener, baselineDrift, compareInRounds, roundOrder, verdictOf } from "../../bench/pairedRounds";
import type { BenchReport, LeverArm, LeverRounds, LeverRun } from "../../bench/records";
import { derive } from "../../bench/report";
import { markdown } from "../../bench/reportMarkdown";
import { settingsOf } from "../../bench/steps";
import { reportWith, step } from "../support/benchSteps";

const IDLE = { livekitCpuCores: 0.02, livekitRssMiB: 50 };
const settings = (name: string) => settingsOf(LEVERS.find((l) => l.name === name)!);
/** An arm of 20 tours at `perListener` cores per listener above the 2 % idle. */
const arm = (lever: string, perListener: number, change: Partial<LeverArm> = {}): LeverArm => ({
  lever,
  settings: settings(lever),
  idle: IDLE,
  step: step(20, perListener),
  ...change,
});
const rounds = (...perRound: [number, number, number][]): LeverRounds => ({
  tours: 20,
  sampledTours: 1,
  crowd: "lean-ports",
  rounds: perRound.map(([base, sixty, red]) => ({
    arms: [arm("baseline", base), arm("60 ms frames", sixty), arm("RED off", red)],
  })),
});

describe("a lever against its round's baseline", () => {
  it("is LiveKit's CPU above idle per listener, over the baseline's of the same round", () => {
    expect(armCpuPerListener({ ...arm("baseline", 0.0004), step: step(20, 0.0004) })).toBeCloseTo(0.0004, 12);
    // The machine drifts by half between rounds 1 and 2; the ratios do not.
    const [base, sixty, red] = compareInRounds(rounds([0.0004, 0.0002, 0.00041], [0.0006, 0.0003, 0.00057]));
    expect(sixty!.ratios.map((r) => r.toFixed(3))).toEqual(["0.500", "0.500"]);
    expect(sixty!.medianRatio).toBeCloseTo(0.5, 12);
    expect(sixty!.verdict).toBe("cheaper in every round");
    expect(red!.verdict).toBe("not resolved");
    expect(base!.name).toBe("baseline");
    expect(sixty!.cpuCoresPerListener).toBeCloseTo(0.00025, 12);
  });

  it("calls a lever cheaper or dearer only when every round, at least two, says so", () => {
    expect(verdictOf([])).toBe("not measured");
    expect(verdictOf([0.5])).toBe("not resolved");
    expect(verdictOf([0.9, 0.95, 0.99])).toBe("cheaper in every round");
    expect(verdictOf([1.1, 1.01])).toBe("dearer in every round");
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: 2 }), (ratios) => {
        const v = verdictOf(ratios);
        if (v === "cheaper in every round") expect(Math.max(...ratios)).toBeLessThan(1);
        else if (v === "dearer in every round") expect(Math.min(...ratios)).toBeGreaterThan(1);
        else expect(Math.min(...ratios) <= 1 && Math.max(...ratios) >= 1).toBe(true);
      }),
    );
  });

  it("leaves out a round whose arm failed or saturated the generator, and says why", () => {
    const r = rounds([0.0004, 0.0002, 0.0004], [0.0004, 0.0002, 0.0004], [0.0004, 0.0002, 0.0004]);
    const broken: LeverRounds = {
      ...r,
      rounds: [
        {
          arms: [r.rounds[0]!.arms[0]!, { ...arm("60 ms frames", 0), step: undefined, failure: "failed: no LiveKit" }],
        },
        { arms: [r.rounds[1]!.arms[0]!, arm("60 ms frames", 0.0002, { step: step(20, 0.0002, { valid: false }) })] },
        { arms: [{ ...r.rounds[2]!.arms[0]!, step: undefined, failure: "x" }, arm("60 ms frames", 0.0002)] },
        // Its guides never published: the crowd heard nothing, and LiveKit's CPU measured an idle room.
        {
          arms: [
            r.rounds[0]!.arms[0]!,
            arm("60 ms frames", 0.00001, { step: step(20, 0.00001, { crowdSilent: 570 }) }),
          ],
        },
      ],
    };
    const sixty = compareInRounds(broken).find((c) => c.name === "60 ms frames")!;
    expect(sixty.ratios).toEqual([]);
    expect(sixty.verdict).toBe("not measured");
    expect(sixty.measuredArms).toBe(1);
    expect(sixty.problems).toEqual([
      "round 1: failed: no LiveKit",
      "round 2: the generator's core was saturated",
      "round 4: 570 of 594 crowd listeners were silent",
    ]);
    expect(roundsTable(broken)).toContain("| 1 | 60 ms frames | — | — | — | — | — | failed: no LiveKit |");
    expect(
      roundsTable({
        ...broken,
        rounds: [{ arms: [{ ...arm("baseline", 0), step: undefined, failure: "exited: a | b\nmore" }] }],
      }),
    ).toContain("| 1 | baseline | — | — | — | — | — | exited: a / b |");
    expect(roundsTable(broken)).toContain(
      "| 4 | 60 ms frames | 600 | 2.6 % | 0.010 | — | 200 % (left out) | 0.200 % / 570 |",
    );
  });

  it("rotates the order by one lever each round, so no lever always runs first", () => {
    expect(roundOrder(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(roundOrder(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(roundOrder(["a", "b", "c"], 4)).toEqual(["b", "c", "a"]);
  });

  it("states how far the baseline's own rounds drift", () => {
    const drift = baselineDrift(rounds([0.0004, 0.0002, 0.0004], [0.0005, 0.0002, 0.0004], [0.0003, 0.0002, 0.0004]))!;
    expect(drift.low).toBeCloseTo(0.75, 12);
    expect(drift.high).toBeCloseTo(1.25, 12);
  });
});

const ramp: LeverRun = {
  name: "baseline",
  settings: settings("baseline"),
  idle: IDLE,
  steps: [10, 20, 30, 40, 50, 60, 70].map((t) => step(t, 0.0004)),
  stopReason: "LiveKit reached 80 % of its core",
};
const report: BenchReport = reportWith(ramp, {
  leverRuns: [ramp],
  leverRounds: rounds([0.0004, 0.0002, 0.00042], [0.0006, 0.0003, 0.00057], [0.0005, 0.0002, 0.0005]),
});

describe("the report from paired rounds", () => {
  const { derived, levers } = derive(report);

  it("keeps the baseline's ramp for the planner and scales it by each lever's median ratio", () => {
    expect(derived.listenersPerCoreAt80).toBeCloseTo(1950, 6);
    expect(levers.map((l) => l.name)).toEqual(["baseline", "60 ms frames", "RED off"]);
    expect(levers[1]!.listenersPerCoreAt80).toBeCloseTo(1950 / 0.5, 6);
    expect(levers[2]!.cpuCoresPerListener).toBeCloseTo(0.0004 * 1, 12);
  });

  it("sets the levers side by side with their ratios, ranges and verdicts", () => {
    const table = pairedLeverTable(levers, report.leverRounds!);
    expect(table).toContain(
      "| 60 ms frames | 60 ms, RED on, DTX on, speech 100 %; rendered livekit.yaml | 3,900 | 0.50 (0.40–0.50) | cheaper in every round | 8.90 | 80 | 2.00 % / 0.200 % | 3 of 3 |",
    );
    expect(table).toContain(
      "| baseline | 20 ms, RED on, DTX on, speech 100 %; rendered livekit.yaml | 1,950 | 1 (its own rounds: 0.80–1.20 of their median) | reference |",
    );
    expect(table).toContain(
      "| RED off | 20 ms, RED off, DTX on, speech 100 %; rendered livekit.yaml | 1,950 | 1.00 (0.95–1.05) | not resolved |",
    );
  });

  it("lists every arm of every round, and the markdown says how the rounds ran", () => {
    const table = roundsTable(report.leverRounds!);
    expect(table.split("\n")).toHaveLength(2 + 9);
    expect(table).toContain("| 2 | 60 ms frames | 600 | 20.0 % | 0.300 | 0.50 | 200 % |");
    const md = markdown(report, derived, levers);
    expect(md).toContain("Every lever, the baseline too, ran once in each of 3 rounds");
    expect(md).toContain("### Round by round");
    expect(md).toContain("Best lever: **60 ms frames**, 3,900 listeners per core");
  });

  it("charts the baseline's ramp and each lever's ratios", async () => {
    const png = await renderChart(
      report.leverRuns,
      levers.slice(1).map((l) => l.paired!),
    );
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.length).toBeGreaterThan(10_000);
  }, 30_000);
});
