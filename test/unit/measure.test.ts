import { describe, expect, it } from "vitest";
import { MARKER_EVERY_MS } from "../../tour/audio";
import { analyse, lossRatio, measureTour, measureTours } from "../../tour/measure";

const markers = [1000, 1500, 2000, 2500, 3000];

describe("measuring a tour", () => {
  it("matches each marker to the first onset after it, and counts it lost when none comes within one marker interval", () => {
    const r = analyse(markers, [1040, 1560, 2500 + MARKER_EVERY_MS - 1, 3100], { from: 1000, to: 3000 });
    expect(r).toEqual({ latenciesMs: [40, 60, MARKER_EVERY_MS - 1, 100], expected: 5, heard: 4 });
  });

  it("counts only markers inside the window, and a missing onset as loss", () => {
    const r = analyse(markers, [1540, 2540], { from: 1200, to: 2700 });
    expect(r).toEqual({ latenciesMs: [40, 40], expected: 3, heard: 2 });
  });

  it("sums listeners into latency percentiles, loss and join times", () => {
    const m = measureTour({
      markers,
      ears: [
        [1010, 1510, 2010, 2510, 3010],
        [1100, 2100],
      ],
      window: { from: 1000, to: 3000 },
      joinMs: [300, 900],
    });
    expect(m.markersExpected).toBe(10);
    expect(m.markersHeard).toBe(7);
    expect(m.lossRatio).toBeCloseTo(0.3, 10);
    expect(m.latencyP50Ms).toBe(10);
    expect(m.latencyP95Ms).toBe(100);
    expect([m.joinP50Ms, m.joinP95Ms]).toEqual([300, 900]);
  });

  it("measures several tours as one, each against its own guide's markers", () => {
    const m = measureTours([
      { markers: [1000], ears: [[1020]], window: { from: 0, to: 5000 } },
      { markers: [1000], ears: [[1080], []], window: { from: 0, to: 5000 } },
    ]);
    expect(m.latenciesMs).toEqual([20, 80]);
    expect([m.markersExpected, m.markersHeard]).toEqual([3, 2]);
  });

  it("counts a window in which nothing was expected as all lost, never as perfect", () => {
    expect(lossRatio(0, 0)).toBe(1);
    expect(measureTour({ markers: [], ears: [[]], window: { from: 0, to: 1 } }).lossRatio).toBe(1);
    expect(Number.isNaN(measureTour({ markers: [], ears: [], window: { from: 0, to: 1 } }).latencyP95Ms)).toBe(true);
  });
});
