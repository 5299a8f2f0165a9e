import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { delayBound, delayCell, type DelayHistogram, delayOverStep } from "../../bench/crowdDelay";

const UP_TO = [1, 2, 5, 10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000];
const histogram = (packets: number[]): DelayHistogram => ({ upToMs: UP_TO, packets });
const zeros = () => new Array<number>(UP_TO.length + 1).fill(0);

describe("the crowd's delay over a step", () => {
  it("takes the percentiles of the packets counted between the two reports, by bucket bound", () => {
    const before = zeros();
    before[0] = 5000; // before the step: not counted
    const after = [...before];
    after[0]! += 90; // ≤ 1 ms
    after[4]! += 6; // ≤ 20 ms
    after[9]! += 3; // ≤ 80 ms
    after[16]! += 1; // later than 1 s
    expect(delayOverStep(histogram(before), histogram(after))).toEqual({
      packets: 100,
      p50Ms: 1,
      p95Ms: 20,
      p99Ms: 80,
    });
    after[16]! += 10;
    expect(delayOverStep(histogram(before), histogram(after))?.p99Ms).toBeNull();
  });

  it("is absent when the crowd measured none (another client, an older loadgen, no packets)", () => {
    expect(delayOverStep(undefined, histogram(zeros()))).toBeUndefined();
    expect(delayOverStep(histogram(zeros()), histogram(zeros()))).toBeUndefined();
  });

  it("refuses a histogram that changed shape within the step", () => {
    expect(() => delayOverStep(histogram(zeros()), { upToMs: [1], packets: [1, 1] })).toThrow(
      "loadgen's delay histogram changed shape within a step (17 → 2 buckets)",
    );
  });

  it("keeps p50 ≤ p95 ≤ p99 whatever the counts", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: UP_TO.length + 1, maxLength: UP_TO.length + 1 }), (counts) => {
        fc.pre(counts.some((n) => n > 0));
        const d = delayOverStep(histogram(zeros()), histogram(counts))!;
        const rank = (ms: number | null) => (ms === null ? Infinity : ms);
        expect(rank(d.p50Ms)).toBeLessThanOrEqual(rank(d.p95Ms));
        expect(rank(d.p95Ms)).toBeLessThanOrEqual(rank(d.p99Ms));
        expect(d.packets).toBe(counts.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it("writes bounds for the report's tables", () => {
    expect(delayBound(20)).toBe("≤ 20");
    expect(delayBound(null)).toBe("> 1000");
    expect(delayCell({ packets: 1, p50Ms: 1, p95Ms: 20, p99Ms: null })).toBe("≤ 1 / ≤ 20 / > 1000");
    expect(delayCell(undefined)).toBe("—");
  });
});
