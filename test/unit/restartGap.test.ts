// The restart benchmark's audio gap: the longest stretch of a window in which
// a listener heard no frame of the guide's signal.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { longestGap } from "../../bench/restartPhones";

const frames = (from: number, to: number, every = 10) =>
  Array.from({ length: Math.floor((to - from) / every) + 1 }, (_, i) => from + i * every);

describe("the longest audio gap in a window", () => {
  it("is the frame spacing when nothing was lost", () => {
    expect(longestGap(frames(0, 1000), 0, 1000)).toBe(10);
  });

  it("is the stretch without frames when the signal stopped and came back", () => {
    const heard = [...frames(0, 400), ...frames(2400, 3000)];
    expect(longestGap(heard, 0, 3000)).toBe(2000);
  });

  it("counts silence at the edges of the window, and the whole window when nothing was heard", () => {
    expect(longestGap(frames(500, 1000), 0, 1000)).toBe(500);
    expect(longestGap(frames(0, 300), 0, 1000)).toBe(700);
    expect(longestGap([], 0, 1000)).toBe(1000);
  });

  it("ignores frames outside the window", () => {
    expect(longestGap([...frames(-500, -100), 50, ...frames(600, 1000)], 0, 1000)).toBe(550);
  });

  it("is never shorter than any gap between two frames inside the window", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 50 }), (raw) => {
        const heard = [...raw].sort((a, b) => a - b);
        const gap = longestGap(heard, 0, 10_000);
        for (let i = 1; i < heard.length; i++) expect(gap).toBeGreaterThanOrEqual(heard[i]! - heard[i - 1]!);
        expect(gap).toBeLessThanOrEqual(10_000);
      }),
    );
  });
});
