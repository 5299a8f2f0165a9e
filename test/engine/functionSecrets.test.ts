// The edge functions' secrets under the real Pulumi engine, against a local
// stand-in of Supabase's Management API that records every call (the real API
// is unreachable here): set, unchanged, one removed from config, destroyed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionSecrets } from "../../components/functionSecrets";
import { type EngineStack, engineStack } from "../support/engine";
import { type ManagementApiStandIn, startManagementApi } from "../support/managementApi";

const REF = "abcdefghijklmnopqrst";
const TOKEN = "sbp_engine_test_token_0123456789abcdef";
const API_SECRET = "engine-test-livekit-secret-0123456789abcdefgh";
const LEGACY = "engine-test-legacy-jwt-secret-0123456789abcd";
const base = [
  { name: "LIVEKIT_URL", value: "wss://live.test" },
  { name: "LIVEKIT_API_KEY", value: "APIenginetest" },
  { name: "LIVEKIT_API_SECRET", value: API_SECRET },
  { name: "LIVEKIT_TOKEN_MAX_SECONDS", value: "12600" },
];

describe("function secrets under the real Pulumi engine", () => {
  let api: ManagementApiStandIn;
  let engine: EngineStack;
  let secrets = [...base, { name: "LEGACY_JWT_SECRET", value: LEGACY }];
  const calls = () => api.requests.splice(0).map((r) => `${r.method} ${r.url} ${r.body}`);
  const path = `/v1/projects/${REF}/secrets`;

  beforeAll(async () => {
    // A secret someone else set in the project: never touched.
    api = await startManagementApi(REF, { OTHER_APP_KEY: "theirs" });
    engine = await engineStack("dev", async () => {
      new FunctionSecrets("supabase-function-secrets", {
        projectRef: REF,
        apiUrl: api.url,
        accessToken: TOKEN,
        secrets,
      });
    });
  }, 120_000);
  afterAll(() => {
    api?.close();
    engine?.remove();
  });

  it("up sets them all in one call, token in the header, and deletes nothing", async () => {
    expect((await engine.stack.up()).summary.result).toBe("succeeded");
    expect(api.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    const sorted = [...secrets].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(calls()).toEqual([`POST ${path} ${JSON.stringify(sorted)}`, `GET ${path} `]);
    expect(Object.fromEntries(api.secrets)).toEqual({
      OTHER_APP_KEY: "theirs",
      ...Object.fromEntries(secrets.map((s) => [s.name, s.value])),
    });
  });

  it("a preview with nothing changed is empty and calls nothing", async () => {
    const preview = await engine.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 3 });
    expect(calls()).toEqual([]);
  });

  it("keeps the token and the values as ciphertext in the state file", () => {
    const state = engine.stateText();
    expect(state).toContain("supabase-function-secrets-values");
    for (const plain of [TOKEN, API_SECRET, LEGACY]) expect(state).not.toContain(plain);
  });

  it("a secret removed from config: the preview shows an update; up deletes it from the project, and only it", async () => {
    secrets = [...base];
    const preview = await engine.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 2, update: 1 });
    expect(calls()).toEqual([]);
    await engine.stack.up();
    const made = calls();
    expect(made.slice(1)).toEqual([`GET ${path} `, `DELETE ${path} ["LEGACY_JWT_SECRET"]`]);
    expect(made[0]).toMatch(new RegExp(`^POST ${path} `));
    expect([...api.secrets.keys()].sort()).toEqual(["OTHER_APP_KEY", ...base.map((s) => s.name)].sort());
  });

  it("destroy removes the secrets the stack set, and no other", async () => {
    await engine.stack.destroy();
    expect(calls()).toEqual([`DELETE ${path} ${JSON.stringify(base.map((s) => s.name).sort())}`]);
    expect(Object.fromEntries(api.secrets)).toEqual({ OTHER_APP_KEY: "theirs" });
  });
});
