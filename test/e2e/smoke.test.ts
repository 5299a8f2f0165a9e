// `npm run smoke` itself, run as an operator runs it, against the local
// platform: real LiveKit, Redis, PostgreSQL and Deno functions, the real
// supabase-js, and the stand-in gateway for the Supabase doors that cannot
// run here (see support/supabaseGateway.ts).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPlatform, startLocalPlatform } from "../../local/platform";
import { createTour, type TourFixture } from "../../local/roles";
import { startSupabaseGateway, type SupabaseGateway } from "../../local/supabaseGateway";
import { tempDir, writeTemp } from "../../local/temp";

const root = join(__dirname, "..", "..");
const PASSWORD = "smoke-password-1";

interface SmokeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runSmokeCli(args: string[], env: Record<string, string>): Promise<SmokeRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/smoke.ts", ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm run smoke against a stack (the local platform)", () => {
  let platform: LocalPlatform;
  let gateway: SupabaseGateway;
  let smokeTour: TourFixture;
  let realTour: TourFixture;
  let outputsFile: string;
  const emailOf = new Map<string, string>();

  const usersEnv = (tour: TourFixture, overrides: Record<string, string> = {}) => ({
    SUPABASE_ANON_KEY: "stand-in-anon-key",
    ROAMCAST_SMOKE_TOUR_ID: tour.tourId,
    ROAMCAST_SMOKE_GUIDE_EMAIL: emailOf.get(tour.guide)!,
    ROAMCAST_SMOKE_LISTENER_EMAILS: tour.listeners.map((id) => emailOf.get(id)!).join(","),
    ROAMCAST_SMOKE_OUTSIDER_EMAIL: emailOf.get(tour.outsider)!,
    ROAMCAST_SMOKE_PASSWORD: PASSWORD,
    ...overrides,
  });

  beforeAll(async () => {
    platform = await startLocalPlatform();
    gateway = await startSupabaseGateway({
      keys: platform.keys,
      admin: platform.admin,
      functions: { "livekit-token": platform.tokenUrl },
    });
    smokeTour = await createTour(platform.admin, { listeners: 3, label: "smoke" });
    realTour = await createTour(platform.admin, { listeners: 1, label: "saturday" });
    for (const tour of [smokeTour, realTour]) {
      for (const id of [tour.guide, tour.outsider, ...tour.listeners]) {
        const [row] = await platform.admin`select email from auth.users where id = ${id}`;
        emailOf.set(id, row!.email);
        gateway.setPassword(row!.email, PASSWORD);
      }
    }
    // What `pulumi stack output --json --show-secrets` prints for a stack.
    outputsFile = writeTemp(
      "outputs.json",
      JSON.stringify({
        livekitUrl: platform.livekitUrl,
        supabaseUrl: gateway.url,
        apiKey: platform.model.secrets.apiKey,
        apiSecret: platform.model.secrets.apiSecret,
      }),
    );
  }, 180_000);

  afterAll(async () => {
    try {
      await gateway?.stop();
    } finally {
      await platform?.stop();
    }
  });

  it("passes on a working stack and reports join time, latency and loss", async () => {
    const jsonReport = join(tempDir(), "smoke.json");
    const run = await runSmokeCli(
      ["--stack", "local", "--outputs", outputsFile, "--allow-insecure", "--measure", "6", "--json", jsonReport],
      usersEnv(smokeTour),
    );
    console.log(run.stdout);
    expect(run.stdout, run.stderr).toContain("SMOKE PASSED");
    expect(run.code).toBe(0);
    for (const check of [
      "PASS  the guide and listeners sign in with supabase-js",
      "PASS  the token function refuses a request without a signed-in user — 401",
      "PASS  the token function refuses a user who is not on the tour — 403 not_on_tour",
      "PASS  3 listeners get tokens and join at once",
      "PASS  every listener hears the guide",
      "PASS  audio latency p95 under 200 ms",
      "PASS  audio loss under 2.0 %",
      "PASS  the LiveKit server refuses a listener's attempt to publish",
      "PASS  a listener whose connection is cut rejoins",
      "PASS  ending the room marks it finished in the database (LiveKit webhook) — finished",
    ])
      expect(run.stdout).toContain(check);
    expect(run.stdout).toMatch(/audio latency p50 \/ p95\s+\d+ \/ \d+ ms/);
    expect(run.stdout).toMatch(/join p50 \/ p95\s+\d+ \/ \d+ ms/);
    // Went through the app's doors, and never printed a secret.
    expect(gateway.seen).toContain("POST /auth/v1/token");
    expect(gateway.seen).toContain("POST /functions/v1/livekit-token");
    const saved = readFileSync(jsonReport, "utf8");
    for (const secret of [PASSWORD, platform.model.secrets.apiSecret])
      expect(run.stdout + run.stderr + saved).not.toContain(secret);
    // The JSON report (kept by CI as an artifact) says the same.
    const report = JSON.parse(saved);
    expect(report).toMatchObject({
      stack: "local",
      passed: true,
      figures: { listeners: 3, markersExpected: expect.any(Number) },
    });
    expect(report.checks).toHaveLength(12);
    expect(report.figures.latencyMs.length).toBe(report.figures.markersHeard);
    // The database agrees: the smoke room is finished.
    const rooms = await platform.admin`select status from public.livekit_rooms where tour_id = ${smokeTour.tourId}`;
    expect(rooms.map((r) => r.status)).toEqual(["finished"]);
  });

  it("fails, exit code 1, when a user cannot sign in — and says who", async () => {
    const run = await runSmokeCli(
      ["--stack", "local", "--outputs", outputsFile, "--allow-insecure"],
      usersEnv(smokeTour, { ROAMCAST_SMOKE_PASSWORD: "wrong-password" }),
    );
    expect(run.code).toBe(1);
    // Every account that failed is named, the guide first, in one run.
    const named = [smokeTour.guide, ...smokeTour.listeners]
      .map((id) => `${emailOf.get(id)}: Invalid login credentials`)
      .join("; ");
    expect(run.stdout).toContain(`FAIL  the guide and listeners sign in with supabase-js — ${named}`);
    expect(run.stdout).toContain("SMOKE FAILED (1 of 1 checks failed)");
  });

  it("refuses to end the room of a tour that is not set aside for smoke runs", async () => {
    const run = await runSmokeCli(
      ["--stack", "local", "--outputs", outputsFile, "--allow-insecure", "--listeners", "1"],
      usersEnv(realTour),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL  the tour is set aside for smoke runs — tour ${realTour.tourId} is titled "Old town walk saturday"`,
    );
    const rooms =
      await platform.admin`select count(*)::int as n from public.livekit_rooms where tour_id = ${realTour.tourId}`;
    expect(rooms[0]!.n).toBe(0);
  });

  it("refuses a ws:// stack unless told it is a local one, before connecting anywhere", async () => {
    const run = await runSmokeCli(["--stack", "local", "--outputs", outputsFile], usersEnv(smokeTour));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("stack output `livekitUrl` must be a wss: URL, not ws:");
  });
});
