import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { livekitHttpUrl, parseSmokeTarget, readSmokeUsers, SmokeInputError } from "../../scripts/smoke/inputs";
import { writeTemp } from "../../local/temp";
import { lossRatio } from "../../tour/measure";
import {
  audioChecks,
  DEFAULT_THRESHOLDS,
  formatSmokeReport,
  smokePassed,
  type SmokeFigures,
} from "../../scripts/smoke/report";

const outputs = {
  livekitUrl: "wss://live.example.com",
  supabaseUrl: "https://abc.supabase.co",
  apiKey: "APIabc",
  apiSecret: "s".repeat(40),
};
const env = {
  SUPABASE_ANON_KEY: "anon",
  ROAMCAST_SMOKE_TOUR_ID: "0b7f5a52-4c4e-4a53-9b0e-8f1b2f0f6c11",
  ROAMCAST_SMOKE_GUIDE_EMAIL: "guide@example.com",
  ROAMCAST_SMOKE_LISTENER_EMAILS: "a@example.com, b@example.com",
  ROAMCAST_SMOKE_PASSWORD: "pw",
};

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof SmokeInputError) return error.problems;
    throw error;
  }
  throw new Error("expected a SmokeInputError");
}

describe("smoke inputs", () => {
  it("reads the stack outputs it needs", () => {
    expect(parseSmokeTarget(outputs)).toEqual(outputs);
  });

  it("names every missing or unusable output at once", () => {
    expect(problemsOf(() => parseSmokeTarget({ livekitUrl: "ws://live.example.com", apiKey: "[secret]" }))).toEqual([
      "stack output `livekitUrl` must be a wss: URL, not ws:",
      "stack output `supabaseUrl` is missing: run `pulumi up` on the stack first, or pass --outputs with a file that has it",
      "stack output `apiKey` is hidden: read the outputs with --show-secrets",
      "stack output `apiSecret` is missing: run `pulumi up` on the stack first",
    ]);
  });

  it("accepts ws:// and http:// only when told the stack is local", () => {
    const local = { ...outputs, livekitUrl: "ws://127.0.0.1:7880", supabaseUrl: "http://127.0.0.1:54321" };
    expect(() => parseSmokeTarget(local)).toThrow(SmokeInputError);
    expect(parseSmokeTarget(local, { allowInsecure: true }).livekitUrl).toBe("ws://127.0.0.1:7880");
  });

  it("reads the smoke users from the environment", () => {
    expect(readSmokeUsers(env)).toEqual({
      supabaseKey: "anon",
      tourId: env.ROAMCAST_SMOKE_TOUR_ID,
      guideEmail: "guide@example.com",
      listenerEmails: ["a@example.com", "b@example.com"],
      outsiderEmail: undefined,
      password: "pw",
    });
  });

  it("names each missing variable with what to export", () => {
    expect(problemsOf(() => readSmokeUsers({}))).toEqual([
      "SUPABASE_ANON_KEY is not set: export the project's anon (or publishable) key, the one the app ships",
      "ROAMCAST_SMOKE_TOUR_ID is not set: export the id of the tour set aside for smoke runs (README: Smoke test)",
      "ROAMCAST_SMOKE_GUIDE_EMAIL is not set: export the e-mail of the smoke tour's guide",
      "ROAMCAST_SMOKE_LISTENER_EMAILS is not set: export a comma-separated list of e-mails of users on the smoke tour",
      "ROAMCAST_SMOKE_PASSWORD is not set: export the smoke users' password",
    ]);
  });

  it("refuses a tour id that is not a uuid, a bad e-mail and a user named twice", () => {
    expect(
      problemsOf(() =>
        readSmokeUsers({
          ...env,
          ROAMCAST_SMOKE_TOUR_ID: "tour-1",
          ROAMCAST_SMOKE_LISTENER_EMAILS: "a@example.com,Guide@example.com,nobody",
        }),
      ),
    ).toEqual([
      'ROAMCAST_SMOKE_TOUR_ID must be a tour\'s uuid, not "tour-1"',
      '"nobody" is not an e-mail address',
      "guide@example.com is named twice: the guide, each listener and the outsider must be different users",
    ]);
  });

  it("keeps the password out of every message", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8 }).map((s) => `pw#${s}`),
        (password) => {
          try {
            readSmokeUsers({ ...env, ROAMCAST_SMOKE_PASSWORD: password, ROAMCAST_SMOKE_TOUR_ID: "x" });
          } catch (error) {
            return !(error as Error).message.includes(password);
          }
          return false;
        },
      ),
    );
  });

  it("finds LiveKit's server API beside its WebSocket", () => {
    expect(livekitHttpUrl("wss://live.example.com")).toBe("https://live.example.com");
    expect(livekitHttpUrl("ws://127.0.0.1:7880")).toBe("http://127.0.0.1:7880");
  });
});

describe("smoke verdict and report", () => {
  const figures: SmokeFigures = {
    listeners: 3,
    tokenMs: [120, 140, 160],
    joinMs: [300, 320, 900],
    latencyMs: Array.from({ length: 60 }, (_, i) => 60 + i),
    markersExpected: 60,
    markersHeard: 60,
    rejoinMs: 700,
  };

  it("passes good figures and fails late or lost audio", () => {
    expect(audioChecks(figures, DEFAULT_THRESHOLDS).every((c) => c.ok)).toBe(true);
    const late = audioChecks(
      { ...figures, latencyMs: [...figures.latencyMs.slice(0, 50), ...Array(10).fill(250)] },
      DEFAULT_THRESHOLDS,
    );
    expect(late.map((c) => c.ok)).toEqual([false, true]);
    expect(late[0]!.detail).toBe("p95 250 ms");
    const lossy = audioChecks({ ...figures, markersHeard: 58 }, DEFAULT_THRESHOLDS);
    expect(lossy.map((c) => c.ok)).toEqual([true, false]);
    expect(lossy[1]!.detail).toBe("58 of 60 markers heard");
  });

  it("fails the audio checks when nothing was measured", () => {
    const none = audioChecks({ ...figures, latencyMs: [], markersExpected: 0, markersHeard: 0 }, DEFAULT_THRESHOLDS);
    expect(none.map((c) => [c.ok, c.detail])).toEqual([
      [false, "no marker was heard"],
      [false, "0 of 0 markers heard"],
    ]);
    expect(lossRatio(0, 0)).toBe(1);
  });

  it("passes only when every check passed, and there was one", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean()), (oks) => {
        const checks = oks.map((ok, i) => ({ name: `check ${i}`, ok, detail: "" }));
        expect(smokePassed(checks)).toBe(oks.length > 0 && oks.every(Boolean));
        expect(
          formatSmokeReport("dev", checks, undefined).endsWith(smokePassed(checks) ? "SMOKE PASSED" : "checks failed)"),
        ).toBe(true);
      }),
    );
  });

  it("prints the checks and the figures", () => {
    const text = formatSmokeReport(
      "prod",
      [{ name: "every listener hears the guide", ok: true, detail: "" }, ...audioChecks(figures, DEFAULT_THRESHOLDS)],
      figures,
    );
    expect(text).toBe(
      [
        "Roamcast smoke test — stack prod",
        "",
        "  PASS  every listener hears the guide",
        "  PASS  audio latency p95 under 200 ms — p95 116 ms",
        "  PASS  audio loss under 2.0 % — 60 of 60 markers heard",
        "",
        "  listeners                 3",
        "  token request p50 / p95   140 / 160 ms",
        "  join p50 / p95            320 / 900 ms",
        "  audio latency p50 / p95   89 / 116 ms",
        "  audio loss                0.00 % (60 of 60 markers)",
        "  rejoin (token + join)     700 ms",
        "",
        "SMOKE PASSED",
      ].join("\n"),
    );
  });
});

describe("npm run smoke, before it connects anywhere", () => {
  const root = join(__dirname, "..", "..");
  const smoke = (args: string[], extraEnv: Record<string, string> = {}) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/smoke.ts", ...args], {
      cwd: root,
      encoding: "utf8",
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? "", ...extraEnv },
    });

  it("exits 2 naming an unreadable outputs file", () => {
    const run = smoke(["--stack", "dev", "--outputs", "/nonexistent/outputs.json"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--outputs /nonexistent/outputs.json cannot be read as JSON (ENOENT");
    expect(run.stderr).toContain("pulumi stack output --json --show-secrets > /nonexistent/outputs.json");
  });

  it("exits 2 listing every missing smoke variable, and no password", () => {
    const outputsFile = writeTemp("outputs.json", JSON.stringify(outputs));
    const run = smoke(["--stack", "dev", "--outputs", outputsFile], { ROAMCAST_SMOKE_TOUR_ID: "not-a-uuid" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("SUPABASE_ANON_KEY is not set");
    expect(run.stderr).toContain('ROAMCAST_SMOKE_TOUR_ID must be a tour\'s uuid, not "not-a-uuid"');
    expect(run.stderr).toContain("ROAMCAST_SMOKE_PASSWORD is not set");
  });

  it("exits 2 on a nonsensical option", () => {
    const run = smoke(["--stack", "dev", "--listeners", "0"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--listeners must be a positive whole number, not "0"');
  });
});

describe("npm run smoke, options that cannot make sense", () => {
  const root = join(__dirname, "..", "..");
  const smoke = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/smoke.ts", "--stack", "dev", ...args], {
      cwd: root,
      encoding: "utf8",
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? "" },
    });

  it("refuses a loss threshold of a whole marker stream or more", () => {
    const run = smoke(["--max-loss", "2"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--max-loss is a share of markers, below 1 (0.02 is 2 %), not 2");
  });

  it("refuses a --json file it could not write, before connecting anywhere", () => {
    const run = smoke(["--json", "/nonexistent-folder/smoke.json"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--json /nonexistent-folder/smoke.json: its folder does not exist or is not writable");
  });
});
