// The functions' secrets step, recorded under Pulumi's mocks and run for real
// (scripts/supabase-api.ts through tsx) against a local stand-in of Supabase's
// Management API: a secret the stack no longer wants is deleted from the
// project, and only the names the stack manages are ever touched.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startManagementApi, type ManagementApiStandIn } from "../support/managementApi";
import { type RecordedResource, reveal, withMocks } from "../support/pulumiMocks";

const root = join(__dirname, "..", "..");
const REF = "abcdefghijklmnopqrst";
const TOKEN = "sbp_test_token_0123456789abcdefghij";

/** The secrets command the SupabaseBackend hands to Pulumi, for a stack with or without the legacy secret. */
async function secretsCommand(legacyJwtSecret?: string): Promise<RecordedResource> {
  const run = await withMocks("dev", {});
  const { SupabaseBackend } = await import("../../components/supabase");
  new SupabaseBackend("supabase", {
    projectRef: REF,
    dbUrl: "postgresql://unused",
    accessToken: TOKEN,
    legacyJwtSecret,
    migrations: [],
    functionHashes: { "livekit-token": "a".repeat(64), "livekit-webhook": "b".repeat(64) },
    livekit: { url: "wss://live.test", apiKey: "APIkey", apiSecret: "s".repeat(48) },
    tokenMaxSeconds: 12_600,
  });
  await run.settle(["supabase-function-secrets"]);
  return run.one("command:local:Command", "supabase-function-secrets");
}

/** Runs a recorded command as the command provider does: sh -c, its environment, its stdin. */
async function runRecorded(resource: RecordedResource, which: "create" | "update" | "delete", apiUrl: string) {
  const inputs = reveal(resource.inputs);
  const child = spawn("sh", ["-c", inputs[which]], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...inputs.environment, SUPABASE_API_URL: apiUrl },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(inputs.stdin ?? "");
  const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { status, stdout, stderr };
}

describe("the functions' secrets in the Supabase project", () => {
  let api: ManagementApiStandIn | undefined;
  afterEach(() => api?.close());

  it("unsetting the legacy JWT secret deletes it from the project, and leaves secrets the stack does not manage", async () => {
    api = await startManagementApi(REF, { STRIPE_KEY: "sk_other", LIVEKIT_OLD_SETTING: "stale" });
    const withLegacy = await secretsCommand("legacy-jwt-secret-0123456789abcdefghij");
    const withoutLegacy = await secretsCommand(undefined);

    const set = await runRecorded(withLegacy, "create", api.url);
    expect(set.status, set.stderr).toBe(0);
    expect(api.secrets.get("LEGACY_JWT_SECRET")).toBe("legacy-jwt-secret-0123456789abcdefghij");
    // A LiveKit setting an older version of the stack set is stale too.
    expect(set.stdout).toContain("removed 1 secrets the stack no longer sets: LIVEKIT_OLD_SETTING");

    // `pulumi up` after the secret was removed from the stack's config: the step's update.
    const update = await runRecorded(withoutLegacy, "update", api.url);
    expect(update.status, update.stderr).toBe(0);
    expect(update.stdout).toContain("removed 1 secrets the stack no longer sets: LEGACY_JWT_SECRET");
    expect([...api.secrets.keys()].sort()).toEqual([
      "LIVEKIT_API_KEY",
      "LIVEKIT_API_SECRET",
      "LIVEKIT_TOKEN_MAX_SECONDS",
      "LIVEKIT_URL",
      "STRIPE_KEY",
    ]);
    expect(api.secrets.get("STRIPE_KEY")).toBe("sk_other");
    const deletes = api.requests.filter((r) => r.method === "DELETE").map((r) => JSON.parse(r.body));
    expect(deletes).toEqual([["LIVEKIT_OLD_SETTING"], ["LEGACY_JWT_SECRET"]]);
    for (const r of api.requests) expect(r.auth).toBe(`Bearer ${TOKEN}`);
    expect(update.stdout + set.stdout).not.toContain("s".repeat(48));
  });

  it("deletes nothing when every managed secret is still wanted", async () => {
    api = await startManagementApi(REF, { STRIPE_KEY: "sk_other" });
    const command = await secretsCommand(undefined);
    const set = await runRecorded(command, "create", api.url);
    expect(set.status, set.stderr).toBe(0);
    expect(api.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect(api.secrets.size).toBe(5);
  });

  it("a refused request fails the step with the API's answer, never a stack trace", async () => {
    api = await startManagementApi("another-project-ref0", {});
    const set = await runRecorded(await secretsCommand(undefined), "create", api.url);
    expect(set.status).toBe(1);
    expect(set.stderr.trim()).toBe(
      `Supabase Management API POST /v1/projects/${REF}/secrets answered 404: {"message":"Not Found"}`,
    );
  });
});
