// scripts/supabase-api.ts run for real (through tsx) against a local stand-in
// of Supabase's Management API: a secret the stack no longer wants is deleted
// from the project, only the names the stack manages are ever touched, and the
// delete an older stack's state still holds removes nothing. (`pulumi up` sets
// the secrets through components/functionSecrets.ts: test/engine/.)
import { afterEach, describe, expect, it } from "vitest";
import { startManagementApi, type ManagementApiStandIn } from "../support/managementApi";
import { functionSecrets } from "../../plans/supabase";
import type { RecordedResource } from "../support/pulumiMocks";
import { runRecorded } from "../support/pulumiSteps";

const REF = "abcdefghijklmnopqrst";
const TOKEN = "sbp_test_token_0123456789abcdefghij";

/**
 * The secrets command as stacks made before the FunctionSecrets resource hold
 * it in their state (and as an operator runs the script), with the secrets
 * the stack plans.
 */
function secretsCommand(legacyJwtSecret?: string): RecordedResource {
  const secrets = functionSecrets({
    livekitUrl: "wss://live.test",
    apiKey: "APIkey",
    apiSecret: "s".repeat(48),
    tokenMaxSeconds: 12_600,
    legacyJwtSecret,
  });
  const script = `node_modules/.bin/tsx scripts/supabase-api.ts`;
  return {
    name: "supabase-function-secrets",
    type: "command:local:Command",
    inputs: {
      environment: { SUPABASE_ACCESS_TOKEN: TOKEN },
      stdin: JSON.stringify(secrets),
      create: `${script} set-secrets --project-ref ${REF}`,
      update: `${script} set-secrets --project-ref ${REF}`,
      delete: `${script} unset-secrets --project-ref ${REF}`,
    },
  } as unknown as RecordedResource;
}

describe("the functions' secrets in the Supabase project", () => {
  let api: ManagementApiStandIn | undefined;
  afterEach(() => api?.close());

  it("unsetting the legacy JWT secret deletes it from the project, and leaves secrets the stack does not manage", async () => {
    api = await startManagementApi(REF, { STRIPE_KEY: "sk_other", LIVEKIT_OLD_SETTING: "stale" });
    const withLegacy = secretsCommand("legacy-jwt-secret-0123456789abcdefghij");
    const withoutLegacy = secretsCommand(undefined);

    const set = await runRecorded(withLegacy, "create", { SUPABASE_API_URL: api.url });
    expect(set.status, set.stderr).toBe(0);
    expect(api.secrets.get("LEGACY_JWT_SECRET")).toBe("legacy-jwt-secret-0123456789abcdefghij");
    // A LiveKit setting an older version of the stack set is stale too.
    expect(set.stdout).toContain("removed 1 secrets the stack no longer sets: LIVEKIT_OLD_SETTING");

    // `pulumi up` after the secret was removed from the stack's config: the step's update.
    const update = await runRecorded(withoutLegacy, "update", { SUPABASE_API_URL: api.url });
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
    const command = secretsCommand(undefined);
    const set = await runRecorded(command, "create", { SUPABASE_API_URL: api.url });
    expect(set.status, set.stderr).toBe(0);
    expect(api.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect(api.secrets.size).toBe(5);
  });

  it("a refused request fails the step with the API's answer, never a stack trace", async () => {
    api = await startManagementApi("another-project-ref0", {});
    const set = await runRecorded(secretsCommand(undefined), "create", { SUPABASE_API_URL: api.url });
    expect(set.status).toBe(1);
    expect(set.stderr.trim()).toBe(
      `Supabase Management API POST /v1/projects/${REF}/secrets answered 404: {"message":"Not Found"}`,
    );
  });

  it("the delete an older stack's state holds (unset-secrets without --yes) removes nothing, saying what to do", async () => {
    api = await startManagementApi(REF, { LIVEKIT_URL: "wss://live.test", STRIPE_KEY: "sk_other" });
    const unset = await runRecorded(secretsCommand(undefined), "delete", { SUPABASE_API_URL: api.url });
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain("unset-secrets removes the functions' secrets from the project: pass --yes");
    expect(unset.stderr).toContain("README: Moving a stack to the migration resources");
    expect(api.requests).toEqual([]);
    expect(api.secrets.size).toBe(2);
  });
});
