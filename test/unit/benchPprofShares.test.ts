// Reading LiveKit's CPU profile buckets from go tool pprof's -top header, as
// captured from a real profile (livekit-server v1.13.5, 300 listeners).
import { describe, expect, it } from "vitest";
import { focusedSeconds, profileTotal } from "../../bench/pprofShares";

const header = (focus: string, accounting: string) =>
  [
    "File: livekit-server",
    "Type: cpu",
    "Time: 2026-11-30 12:59:17 UTC",
    "Duration: 40.01s, Total samples = 15.31s (38.27%)",
    "Active filters:",
    `   focus=${focus}`,
    `Showing nodes accounting for ${accounting} of 15.31s total`,
    "      flat  flat%   sum%        cum   cum%",
  ].join("\n");

describe("pprof shares", () => {
  it("reads the profile's duration and total samples", () => {
    expect(profileTotal(header("x", "0.76s, 4.96%"))).toEqual({ durationSeconds: 40.01, totalSeconds: 15.31 });
    expect(profileTotal("Duration: 1.5min, Total samples = 850ms (0.94%)")).toEqual({
      durationSeconds: 90,
      totalSeconds: 0.85,
    });
  });

  it("reads the focused samples' seconds, and 0 when the focus matched nothing", () => {
    expect(focusedSeconds(header("SessionSRTCP..decrypt|RTCPReader..Write", "0.76s, 4.96%"))).toBe(0.76);
    expect(focusedSeconds(header("x", "120ms, 0.78%"))).toBeCloseTo(0.12, 12);
    expect(focusedSeconds(header("NoSuchFunction", "0, 0%"))).toBe(0);
  });

  it("refuses text that is not pprof's -top output, showing its start", () => {
    expect(() => focusedSeconds("failed to fetch any source profiles")).toThrow(
      'not pprof -top output (no "Showing nodes accounting for …" line):\nfailed to fetch any source profiles',
    );
    expect(() => profileTotal("")).toThrow('no "Duration: …, Total samples = …" line');
  });
});
