import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planCapacity, SERVER_CLASSES } from "../../plans/capacity";
import { capacityWarning } from "../../plans/capacity";
import { parseStackConfig } from "../../config/schema";
import { validRawConfig } from "../support/fixtures";

const measured = {
  listenersPerTour: 30,
  cpuCoresPerTour: 0.06,
  rssMiBPerTour: 40,
  wireBytesPerListenerPerSecond: 9400,
};
const report = JSON.parse(readFileSync(join(__dirname, "..", "..", "bench", "results", "capacity.json"), "utf8"));

describe("capacity planning", () => {
  it("keeps CPU at 80 % of the server's vCPUs", () => {
    expect(planCapacity(measured, SERVER_CLASSES.cx33!, 30, 3)).toMatchObject({
      concurrentTours: 53,
      limitedBy: "cpu",
    });
  });

  it("scales CPU with the number of listeners per tour", () => {
    expect(planCapacity(measured, SERVER_CLASSES.cx33!, 15, 3).concurrentTours).toBe(106);
  });

  it("counts tours per month within 20 TB of traffic", () => {
    const plan = planCapacity(measured, SERVER_CLASSES.cx33!, 30, 3);
    const bytesPerTour = 9400 * 30 * 3600 * 3;
    expect(plan.toursPerMonthByTraffic).toBe(Math.floor(20e12 / bytesPerTour));
    expect(plan.eurPerTourAtTrafficLimit).toBeCloseTo(6.99 / plan.toursPerMonthByTraffic, 10);
  });

  it("warns in the preview when the planned peak exceeds one server, from the committed report", () => {
    const ok = parseStackConfig("dev", validRawConfig({ peakConcurrentTours: 5 }));
    expect(capacityWarning(ok, report)).toBeUndefined();
    const tooMany = parseStackConfig("dev", validRawConfig({ peakConcurrentTours: 5000 }));
    expect(capacityWarning(tooMany, report)).toMatch(
      /^roamcast:peakConcurrentTours is 5000, but one cx33 carries about \d+ tours of 30 listeners/,
    );
  });
});
