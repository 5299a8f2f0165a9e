import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  capacityWarning,
  measuredFigures,
  planCapacity,
  planServerCount,
  SERVER_CLASSES,
  type StackSizing,
} from "../../plans/capacity";
import { parseStackConfig } from "../../config/schema";
import { validRawConfig } from "../support/fixtures";

const measured = {
  listenersPerTour: 30,
  cpuCoresPerTour: 0.06,
  rssMiBPerTour: 40,
  wireBytesPerListenerPerSecond: 9400,
};
/** The same figures as a report's JSON has them. */
const fixtureReport = {
  listenersPerTour: 30,
  derived: { cpuCoresPerTour: 0.06, rssMiBPerTour: 40, wireBytesPerListenerPerSecond: 9400 },
};
const report = JSON.parse(readFileSync(join(__dirname, "..", "..", "bench", "results", "capacity.json"), "utf8"));
const cx33 = SERVER_CLASSES.cx33!;
/** A season on cx33 with the fixture figures: 53 tours at once per server; a 3 h tour of 30 is 3.05 GB. */
const season = (overrides: Partial<StackSizing> = {}): StackSizing => ({
  serverType: "cx33",
  listenersPerTour: 30,
  tourHours: 3,
  peakConcurrentTours: 20,
  toursPerMonth: 1000,
  livekitNodes: 1,
  ...overrides,
});

describe("capacity planning", () => {
  it("keeps CPU at 80 % of the server's vCPUs", () => {
    expect(planCapacity(measured, cx33, 30, 3)).toMatchObject({
      concurrentTours: 53,
      limitedBy: "cpu",
    });
  });

  it("scales CPU with the number of listeners per tour", () => {
    expect(planCapacity(measured, cx33, 15, 3).concurrentTours).toBe(106);
  });

  it("counts tours per month within 20 TB of traffic", () => {
    const plan = planCapacity(measured, cx33, 30, 3);
    const bytesPerTour = 9400 * 30 * 3600 * 3;
    expect(plan.toursPerMonthByTraffic).toBe(Math.floor(20e12 / bytesPerTour));
    expect(plan.eurPerTourAtTrafficLimit).toBeCloseTo(6.99 / plan.toursPerMonthByTraffic, 10);
  });

  it("takes CPU from the full-core figures when the report has them: listeners per core at 80 % first, then the slope", () => {
    const atCore = measuredFigures({
      ...fixtureReport,
      derived: { ...fixtureReport.derived, listenersPerCoreAt80: 2000, cpuCoresPerListener: 0.001 },
    });
    // 4 vCPU × 2000 listeners per core at 80 % = 8000 listeners = 266.7 tours of 30; memory
    // (0.8 × 8192 MiB / 40 MiB = 163.8 tours) then binds.
    expect(planCapacity(atCore, cx33, 30, 3)).toMatchObject({ concurrentTours: 163, limitedBy: "memory" });
    expect(planCapacity(atCore, cx33, 30, 3).toursByCpu).toBeCloseTo(266.67, 2);
    const slope = measuredFigures({
      ...fixtureReport,
      derived: { ...fixtureReport.derived, cpuCoresPerListener: 0.001 },
    });
    // 3.2 cores / (0.001 × 30) = 106.7 tours.
    expect(planCapacity(slope, cx33, 30, 3).concurrentTours).toBe(106);
  });

  it("refuses a full-core figure that is present but not positive, naming it", () => {
    expect(() =>
      measuredFigures({ ...fixtureReport, derived: { ...fixtureReport.derived, listenersPerCoreAt80: 0 } }),
    ).toThrow(
      "bench/results/capacity.json has listenersPerCoreAt80 0, not a positive number; rerun npm run bench:capacity",
    );
  });

  it("binds on the audio's latency budget when the report measured it tighter than CPU and memory", () => {
    const figures = (listenersPerCoreWithinLatency: number) =>
      measuredFigures({
        ...fixtureReport,
        derived: { ...fixtureReport.derived, listenersPerCoreAt80: 2000, listenersPerCoreWithinLatency },
      });
    // 4 vCPU × 600 listeners = 80 tours of 30, under memory's 163.8 and CPU's 266.7.
    expect(planCapacity(figures(600), cx33, 30, 3)).toMatchObject({ concurrentTours: 80, limitedBy: "latency" });
    expect(planCapacity(figures(600), cx33, 30, 3).toursByLatency).toBeCloseTo(80, 10);
    // Looser than memory: memory binds; absent: latency did not bind in the ramp.
    expect(planCapacity(figures(1500), cx33, 30, 3).limitedBy).toBe("memory");
    expect(planCapacity(measured, cx33, 30, 3).toursByLatency).toBe(Infinity);
    // 0: the first step was over budget, so no tour fits, and the season cannot run.
    expect(planCapacity(figures(0), cx33, 30, 3)).toMatchObject({ concurrentTours: 0, limitedBy: "latency" });
    const none = planServerCount(figures(0), cx33, season());
    expect(none.nodes).toBe(Infinity);
  });

  it("refuses a latency figure that is not a number at least 0, naming it", () => {
    expect(() =>
      measuredFigures({
        ...fixtureReport,
        derived: { ...fixtureReport.derived, listenersPerCoreWithinLatency: -1 },
      }),
    ).toThrow(
      "bench/results/capacity.json has listenersPerCoreWithinLatency -1, not a number at least 0; rerun npm run bench:capacity",
    );
  });
});

describe("the planner chooses N", () => {
  it("needs servers by CPU for the peak and by traffic for the busiest month, and takes the larger", () => {
    expect(planServerCount(measured, cx33, season({ peakConcurrentTours: 100, toursPerMonth: 1000 }))).toMatchObject({
      nodesByCompute: 2,
      nodesByTraffic: 1,
      binds: "cpu",
      nodes: 2,
      eurPerMonth: 13.98,
    });
    // 15,000 tours × 3.05 GB = 45.7 TB: three servers' allowance.
    const traffic = planServerCount(measured, cx33, season({ peakConcurrentTours: 20, toursPerMonth: 15_000 }));
    expect(traffic).toMatchObject({ nodesByCompute: 1, nodesByTraffic: 3, binds: "traffic", nodes: 3 });
    expect(traffic.monthlyTrafficTB).toBeCloseTo(45.68, 2);
  });

  it("counts the stack's own traffic allowance when it sets one (less outside the EU)", () => {
    expect(planServerCount(measured, cx33, season({ toursPerMonth: 1000, monthlyTrafficTb: 1 })).nodesByTraffic).toBe(
      4,
    );
  });

  it("says so when one tour does not fit one server (a room lives on one server)", () => {
    const plan = planServerCount(measured, SERVER_CLASSES.cx23!, season({ serverType: "cx23", listenersPerTour: 500 }));
    expect(plan.perServer.concurrentTours).toBe(1);
    const heavy = { ...measured, cpuCoresPerTour: 0.2 };
    expect(planServerCount(heavy, SERVER_CLASSES.cx23!, season({ listenersPerTour: 500 })).nodes).toBe(Infinity);
  });

  const sizings = fc.record({
    serverType: fc.constantFrom(...Object.keys(SERVER_CLASSES)),
    listenersPerTour: fc.integer({ min: 1, max: 500 }),
    tourHours: fc.integer({ min: 1, max: 12 }),
    peakConcurrentTours: fc.integer({ min: 1, max: 10_000 }),
    toursPerMonth: fc.integer({ min: 1, max: 1_000_000 }),
    livekitNodes: fc.integer({ min: 1, max: 100 }),
  });
  const nodesOf = (s: StackSizing) => planServerCount(measured, SERVER_CLASSES[s.serverType]!, s);

  it("N never falls as the peak or the busiest month grows", () => {
    fc.assert(
      fc.property(
        sizings,
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (s, more, moreTours) => {
          const n = nodesOf(s).nodes;
          expect(nodesOf({ ...s, peakConcurrentTours: s.peakConcurrentTours + more }).nodes).toBeGreaterThanOrEqual(n);
          expect(nodesOf({ ...s, toursPerMonth: s.toursPerMonth + moreTours }).nodes).toBeGreaterThanOrEqual(n);
        },
      ),
    );
  });

  it("N is at least each bound, equals the one that binds, and carries the peak and the month", () => {
    fc.assert(
      fc.property(sizings, (s) => {
        const plan = nodesOf(s);
        expect(plan.nodes).toBeGreaterThanOrEqual(plan.nodesByCompute);
        expect(plan.nodes).toBeGreaterThanOrEqual(plan.nodesByTraffic);
        expect(plan.nodes).toBe(plan.binds === "traffic" ? plan.nodesByTraffic : plan.nodesByCompute);
        if (plan.nodes === Infinity) return;
        expect(plan.nodes * plan.perServer.concurrentTours).toBeGreaterThanOrEqual(s.peakConcurrentTours);
        expect(plan.nodes * plan.trafficPerServerTB).toBeGreaterThanOrEqual(plan.monthlyTrafficTB);
      }),
    );
  });

  it("N is 1 for a tiny season", () => {
    fc.assert(
      fc.property(
        sizings,
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 100 }),
        (s, listenersPerTour, toursPerMonth) => {
          expect(nodesOf({ ...s, listenersPerTour, peakConcurrentTours: 1, toursPerMonth }).nodes).toBe(1);
        },
      ),
    );
  });
});

describe("the preview's capacity warning", () => {
  it("is quiet when the stack's servers carry the season", () => {
    expect(capacityWarning(season(), fixtureReport)).toBeUndefined();
    expect(capacityWarning(season({ peakConcurrentTours: 100, livekitNodes: 2 }), fixtureReport)).toBeUndefined();
  });

  it("names both bounds, the binding one and the fix when CPU needs more servers", () => {
    expect(capacityWarning(season({ peakConcurrentTours: 100 }), fixtureReport)).toBe(
      "roamcast:livekitNodes is 1, but the season needs 2 cx33 servers: 2 by CPU (peak 100 tours at once, 53 per server at 80 %), 1 by traffic (1000 tours in the busiest month, 3.0 TB; 20 TB per server); CPU binds (bench/results/capacity.md). Set roamcast:livekitNodes to 2 or choose serverType cx43",
    );
  });

  it("says a larger server does not help when traffic binds", () => {
    expect(capacityWarning(season({ toursPerMonth: 15_000 }), fixtureReport)).toBe(
      "roamcast:livekitNodes is 1, but the season needs 3 cx33 servers: 1 by CPU (peak 20 tours at once, 53 per server at 80 %), 3 by traffic (15000 tours in the busiest month, 45.7 TB; 20 TB per server); traffic binds (bench/results/capacity.md). Set roamcast:livekitNodes to 3; a larger serverType does not help (each carries 20 TB a month)",
    );
  });

  it("names a server class that carries one tour when this one cannot", () => {
    const heavy = { ...fixtureReport, derived: { ...fixtureReport.derived, cpuCoresPerTour: 0.2 } };
    expect(capacityWarning(season({ serverType: "cx23", listenersPerTour: 500, peakConcurrentTours: 2 }), heavy)).toBe(
      "roamcast:livekitNodes is 1, but the season cannot run on cx23 servers: none by CPU (one tour of 500 listeners does not fit one server), 3 by traffic (1000 tours in the busiest month, 50.8 TB; 20 TB per server); CPU binds (bench/results/capacity.md). Choose serverType cx43 with roamcast:livekitNodes 3",
    );
  });

  it("asks for a new benchmark, not another server or tour size, when its first step was already over the latency budget", () => {
    const overAtOnce = { ...fixtureReport, derived: { ...fixtureReport.derived, listenersPerCoreWithinLatency: 0 } };
    expect(capacityWarning(season(), overAtOnce)).toBe(
      "roamcast:livekitNodes is 1, but the season cannot run on cx33 servers: none by latency (one tour of 30 listeners does not fit one server), 1 by traffic (1000 tours in the busiest month, 3.0 TB; 20 TB per server); latency binds (bench/results/capacity.md). Rerun npm run bench:capacity on a quiet machine: its first step was already over the 200 ms latency budget, so the committed report admits no tour",
    );
  });

  it("warns exactly when livekitNodes is below N", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 20 }),
        (peakConcurrentTours, toursPerMonth, livekitNodes) => {
          const s = season({ peakConcurrentTours, toursPerMonth, livekitNodes });
          const warning = capacityWarning(s, fixtureReport);
          expect(warning === undefined).toBe(livekitNodes >= planServerCount(measured, cx33, s).nodes);
        },
      ),
    );
  });

  it("keeps its messages for an unknown server type and a missing report", () => {
    expect(capacityWarning(season({ serverType: "ccx13" }), fixtureReport)).toBe(
      "no capacity figures for server type ccx13; the sizing of this stack is unchecked",
    );
    expect(capacityWarning(season(), undefined)).toBe(
      "no benchmark report at bench/results/capacity.json; the sizing of this stack is unchecked",
    );
  });

  it("reads the stack's settings and the committed report", () => {
    const ok = parseStackConfig("dev", validRawConfig({ peakConcurrentTours: 5, toursPerMonth: 100 }));
    expect(capacityWarning({ ...ok, livekitNodes: 1 }, report)).toBeUndefined();
    const tooMany = parseStackConfig("dev", validRawConfig({ peakConcurrentTours: 5000 }));
    expect(capacityWarning({ ...tooMany, livekitNodes: 1 }, report)).toMatch(
      /^roamcast:livekitNodes is 1, but the season needs \d+ cx33 servers: \d+ by (?:CPU|latency) \(peak 5000 tours at once/,
    );
  });
});
