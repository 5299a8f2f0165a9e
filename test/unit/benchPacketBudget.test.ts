// The goals as budgets per forwarded packet, against LiveKit's published audio benchmark.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  budgetMicrosecondsPerPacket,
  LIVEKIT_PUBLISHED_AUDIO,
  listenersPerCoreAtCost,
  microsecondsPerPacket,
  packetBudgetRow,
  packetBudgetText,
  publishedMicrosecondsPerPacket,
} from "../../bench/packetBudget";

describe("LiveKit's published audio benchmark, per packet", () => {
  it("is 16 cores at 80 % over 10 tracks × 3,000 subscribers × 30 packets a second", () => {
    expect(publishedMicrosecondsPerPacket()).toBeCloseTo((16 * 0.8 * 1e6) / 900_000, 9);
    expect(publishedMicrosecondsPerPacket()).toBeCloseTo(14.222, 3);
    // At 50 packets a second (20 ms frames) that cost carries 1,125 listeners per core, not 2,000.
    expect(listenersPerCoreAtCost(publishedMicrosecondsPerPacket(), 50)).toBeCloseTo(1125, 6);
  });

  it("follows the benchmark's figures", () => {
    expect(publishedMicrosecondsPerPacket({ ...LIVEKIT_PUBLISHED_AUDIO, subscribers: 6000 })).toBeCloseTo(7.111, 3);
  });
});

describe("budgets and costs per packet", () => {
  it("give 8 µs for 2,000 listeners of 50 packets a second at 80 %, and 12 µs for 4,000 of 16.7", () => {
    expect(budgetMicrosecondsPerPacket(2000, 50)).toBeCloseTo(8, 12);
    expect(budgetMicrosecondsPerPacket(4000, 50 / 3)).toBeCloseTo(12, 9);
  });

  it("turn cores per listener into µs per packet, and refuse a packet rate that is not positive", () => {
    expect(microsecondsPerPacket(0.0012, 50)).toBeCloseTo(24, 9);
    expect(microsecondsPerPacket(0.0012, 0)).toBeNaN();
    expect(microsecondsPerPacket(0.0012, NaN)).toBeNaN();
    expect(listenersPerCoreAtCost(0, 50)).toBeNaN();
  });

  it("round-trip: listeners at the measured cost are the listeners a core carries at 80 %", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e-2, noNaN: true }),
        fc.double({ min: 1, max: 100, noNaN: true }),
        (coresPerListener, pps) => {
          const atCost = listenersPerCoreAtCost(microsecondsPerPacket(coresPerListener, pps), pps);
          expect(atCost).toBeCloseTo(0.8 / coresPerListener, 6);
        },
      ),
    );
  });
});

describe("the report's section", () => {
  const baseline = { name: "baseline", cpuCoresPerListener: 0.0012, packetsPerListenerPerSecond: 50 };
  const sixty = { name: "60 ms frames", cpuCoresPerListener: 0.0006, packetsPerListenerPerSecond: 50 / 3 };

  it("has a row per goal with the budget, the measured cost and the listeners at LiveKit's published cost", () => {
    const row = packetBudgetRow(baseline, 2000);
    expect(row).toMatchObject({ lever: "baseline", goal: 2000, packetsPerListenerPerSecond: 50 });
    expect(row.budgetMicroseconds).toBeCloseTo(8, 12);
    expect(row.measuredMicroseconds).toBeCloseTo(24, 9);
    expect(row.atPublishedCost).toBeCloseTo(1125, 6);
    const text = packetBudgetText([row, packetBudgetRow(sixty, 4000)]);
    expect(text).toContain("**14.2 µs of a core per packet**");
    expect(text).toContain("| 2,000 | baseline | 50.0 | 8.0 | 24.0 | 1,125 |");
    expect(text).toContain("| 4,000 | 60 ms frames | 16.7 | 12.0 | 36.0 | 3,375 |");
  });

  it("prints a dash, not NaN, for a lever without a measured packet rate", () => {
    const text = packetBudgetText([packetBudgetRow({ ...baseline, packetsPerListenerPerSecond: NaN }, 2000)]);
    expect(text).toContain("| 2,000 | baseline | — | — | — | — |");
    expect(text).not.toContain("NaN");
  });
});
