// The benchmark's pure arithmetic and lever plumbing, on inputs whose answers are known.
import { describe, expect, it } from "vitest";
import { fitLine, relativeMargin, toursPerStepToCeiling, xAtCeiling } from "../../bench/fit";
import { chooseLevers, describeLever, LEVERS, mergeOverrides } from "../../bench/levers";
import { busyShare, coreTimes } from "../../bench/procStats";

describe("least-squares line", () => {
  it("finds slope and intercept of points on a line", () => {
    const line = fitLine([
      [0, 0.02],
      [300, 0.14],
      [600, 0.26],
    ]);
    expect(line.slope).toBeCloseTo(0.0004, 12);
    expect(line.intercept).toBeCloseTo(0.02, 12);
  });

  it("fits through the middle of scattered points", () => {
    const line = fitLine([
      [0, 0],
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(line.slope).toBeCloseTo(0.6, 12);
    expect(line.intercept).toBeCloseTo(0.1, 12);
  });

  it("takes one point as a line through the origin, and none as no line", () => {
    expect(fitLine([[200, 0.1]])).toEqual({ slope: 0.0005, intercept: 0 });
    expect(Number.isNaN(fitLine([]).slope)).toBe(true);
  });
});

describe("listeners at 80 % of a core", () => {
  it("is where the line crosses 0.8", () => {
    expect(xAtCeiling({ slope: 0.0004, intercept: 0.02 })).toBeCloseTo(1950, 9);
    expect(xAtCeiling({ slope: 0.0004, intercept: 0.02 }, 0.5)).toBeCloseTo(1200, 9);
  });

  it("is undefined for a line that does not rise", () => {
    expect(Number.isNaN(xAtCeiling({ slope: 0, intercept: 0.1 }))).toBe(true);
    expect(Number.isNaN(xAtCeiling({ slope: -1, intercept: 0.1 }))).toBe(true);
  });
});

describe("the baseline's step size after its first step", () => {
  it("reaches 80 % in the given number of equal steps, if CPU stays linear", () => {
    // 0.02 idle, 0.14 at 300 listeners: 80 % at 1,950, 1,650 to go in 3 steps of 550 listeners = 18.33 tours of 30.
    expect(toursPerStepToCeiling(0.02, { listeners: 300, cpu: 0.14 }, 30, 3)).toBe(19);
  });

  it("is at least one tour, and one when the first step shows no rise", () => {
    expect(toursPerStepToCeiling(0.02, { listeners: 300, cpu: 0.9 }, 30, 3)).toBe(1);
    expect(toursPerStepToCeiling(0.02, { listeners: 300, cpu: 0.02 }, 30, 3)).toBe(1);
  });
});

describe("cross-check margin", () => {
  it("is the distance from the reference, relative to it, either way", () => {
    expect(relativeMargin(0.00045, 0.0005)).toBeCloseTo(0.1, 12);
    expect(relativeMargin(0.00055, 0.0005)).toBeCloseTo(0.1, 12);
    expect(relativeMargin(0.0005, 0.0005)).toBe(0);
  });
});

describe("levers", () => {
  it("start with the baseline: the rendered config and a phone's defaults, continuous speech", () => {
    expect(LEVERS[0]).toEqual({
      name: "baseline",
      guide: { frameMs: 20, red: true, dtx: true, bitrateKbps: 32, speech: 1 },
      redundantAudio: true,
      server: {},
      crowd: "lean-addrs",
    });
    expect(new Set(LEVERS.map((l) => l.name)).size).toBe(LEVERS.length);
    // The rendered mux tells peers apart by their address: every lever needs an address per listener.
    expect(LEVERS.map((l) => l.crowd)).toEqual(LEVERS.map(() => "lean-addrs"));
  });

  it("turn RED off on both sides: the guide's publish option and livekit.yaml's codec list", () => {
    const red = LEVERS.find((l) => l.name === "RED off")!;
    expect(red.guide.red).toBe(false);
    expect(red.redundantAudio).toBe(false);
  });

  it("are chosen by name, case-insensitively, with the baseline always first", () => {
    expect(chooseLevers(["60 ms frames", "red OFF"]).map((l) => l.name)).toEqual([
      "baseline",
      "60 ms frames",
      "RED off",
    ]);
    expect(chooseLevers(["baseline"]).map((l) => l.name)).toEqual(["baseline"]);
    expect(chooseLevers("all")).toHaveLength(LEVERS.length);
  });

  it("refuse an unknown name, listing the known ones", () => {
    expect(() => chooseLevers(["turbo"])).toThrow(`unknown lever "turbo"; the levers are: baseline, RED off,`);
  });

  it("merge server overrides key by key into livekit.yaml, a null removing a key", () => {
    const base = {
      rtc: { port_range_start: 50000, port_range_end: 60000, tcp_port: 7881 },
      audio: undefined,
      port: 7880,
    };
    expect(
      mergeOverrides(base, {
        rtc: { port_range_start: null, port_range_end: null, udp_port: 7882 },
        audio: { update_interval: 2000 },
      }),
    ).toEqual({ rtc: { tcp_port: 7881, udp_port: 7882 }, audio: { update_interval: 2000 }, port: 7880 });
    expect(base.rtc.port_range_start).toBe(50000);
  });

  it("describe what they change in one line", () => {
    expect(describeLever(LEVERS[0]!)).toBe("20 ms, RED on, DTX on, speech 100 %; rendered livekit.yaml");
    expect(describeLever(LEVERS.find((l) => l.name === "port range, unbatched writes (LiveKit's default)")!)).toBe(
      "20 ms, RED on, DTX on, speech 100 %; livekit.yaml + rtc.udp_port: (removed), rtc.batch_io: (removed), rtc.port_range_start: 50000, rtc.port_range_end: 60000",
    );
  });
});

describe("core times from /proc/stat", () => {
  const stat = (busy: number, idle: number) =>
    `cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu1 10 1 2 300 4 5 6 7 0 0\nintr 1\n`;

  it("counts user, nice, system, irq, softirq and steal as busy; idle and iowait as not", () => {
    expect(coreTimes(1, stat(0, 0))).toEqual({ busy: 10 + 1 + 2 + 5 + 6 + 7, total: 31 + 300 + 4 });
  });

  it("gives the busy share between two readings", () => {
    expect(busyShare(coreTimes(0, stat(100, 100)), coreTimes(0, stat(130, 170)))).toBeCloseTo(0.3, 12);
  });

  it("names a core the machine does not have", () => {
    expect(() => coreTimes(7, stat(0, 0))).toThrow("/proc/stat has no line for core 7");
  });
});
