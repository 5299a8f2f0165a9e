// The edge functions' deploys under the real Pulumi engine, against a local
// stand-in of Supabase's Management API that records every upload and delete
// (the real API is unreachable here): both deployed, unchanged, one source
// file changed, one function removed, destroyed.
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { FunctionDeploys } from "../../components/functionDeploys";
import { tempDir } from "../../local/temp";
import { EDGE_FUNCTIONS, type SourceFile, functionSourceDirs } from "../../plans/supabase";
import { type EngineStack, engineStack, failureOf } from "../support/engine";
import { type ManagementApiStandIn, startManagementApi } from "../support/managementApi";

const REF = "abcdefghijklmnopqrst";
const TOKEN = "sbp_engine_test_deploy_token_0123456789ab";

/** A function's files as index.ts reads them: its folder and _shared, by path relative to functions/. */
function readSources(root: string, name: string): SourceFile[] {
  const walk = (dir: string): SourceFile[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? walk(path) : [{ path: relative(root, path), content: readFileSync(path) }];
    });
  return functionSourceDirs(name).flatMap((dir) => walk(join(root, dir)));
}

describe("function deploys under the real Pulumi engine", () => {
  let api: ManagementApiStandIn;
  let engine: EngineStack;
  // A copy of functions/, so a test can change a file.
  const root = tempDir();
  let names: string[] = EDGE_FUNCTIONS.map((fn) => fn.name);
  let projectRef = REF;
  const sources = () => Object.fromEntries(names.map((n) => [n, readSources(root, n)]));
  const texts = (files: SourceFile[]) => Object.fromEntries(files.map((f) => [f.path, f.content.toString()]));
  const calls = (): string[] => api.requests.splice(0).map((r) => `${r.method} ${r.url}`);

  beforeAll(async () => {
    cpSync(join(__dirname, "..", "..", "functions"), root, { recursive: true });
    api = await startManagementApi(REF);
    engine = await engineStack("dev", async () => {
      // Under a component like SupabaseBackend, as in the program.
      const parent = new pulumi.ComponentResource("roamcast:supabase:SupabaseBackend", "supabase");
      const args = { projectRef, apiUrl: api.url, accessToken: TOKEN, sources: sources(), namePrefix: "supabase" };
      new FunctionDeploys("supabase-functions", args, { parent });
    });
  }, 120_000);
  afterAll(() => {
    api?.close();
    engine?.remove();
    rmSync(root, { recursive: true, force: true });
  });

  it("a new stack uploads each function's every file, with its metadata; the webhook without the JWT check", async () => {
    expect((await engine.stack.up()).summary.result).toBe("succeeded");
    expect(api.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(calls().sort()).toEqual(
      EDGE_FUNCTIONS.map((fn) => `POST /v1/projects/${REF}/functions/deploy?slug=${fn.name}`).sort(),
    );
    for (const fn of EDGE_FUNCTIONS) {
      const deployed = api.functions.get(fn.name)!;
      expect(deployed.files).toEqual(texts(readSources(root, fn.name)));
      expect(Object.keys(deployed.files)).toContain("_shared/http.ts");
      expect(deployed.metadata).toEqual({
        name: fn.name,
        entrypoint_path: `${fn.name}/index.ts`,
        import_map_path: `${fn.name}/deno.json`,
        verify_jwt: fn.name !== "livekit-webhook",
      });
    }
    expect(api.functions.get("livekit-webhook")!.metadata.verify_jwt).toBe(false);
  });

  it("a preview with nothing changed is empty and calls nothing", async () => {
    const preview = await engine.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 5 });
    expect(calls()).toEqual([]);
  });

  it("keeps the token as ciphertext in the state file", () => {
    const state = engine.stateText();
    expect(state).toContain("supabase-function-livekit-token");
    expect(state).not.toContain(TOKEN);
  });

  it("a changed source file: the preview shows one update; up uploads that function alone", async () => {
    appendFileSync(join(root, "livekit-token", "handler.ts"), "\n// changed by the engine test\n");
    const preview = await engine.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 4, update: 1 });
    expect(calls()).toEqual([]);
    await engine.stack.up();
    expect(calls()).toEqual([`POST /v1/projects/${REF}/functions/deploy?slug=livekit-token`]);
    expect(api.functions.get("livekit-token")!.files["livekit-token/handler.ts"]).toContain("changed by the engine");
  });

  it("a function removed from the program: the preview shows one delete; up deletes it in the project", async () => {
    names = ["livekit-token"];
    const preview = await engine.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 4, delete: 1 });
    expect(calls()).toEqual([]);
    await engine.stack.up();
    expect(calls()).toEqual([`DELETE /v1/projects/${REF}/functions/livekit-webhook`]);
    expect([...api.functions.keys()]).toEqual(["livekit-token"]);
  });

  it("destroy deletes the rest", async () => {
    await engine.stack.destroy();
    expect(calls()).toEqual([`DELETE /v1/projects/${REF}/functions/livekit-token`]);
    expect(api.functions.size).toBe(0);
  });

  it("a bad project ref is refused at preview, naming the field and the fix", async () => {
    projectRef = "https://abcdefghijklmnopqrst.supabase.co";
    const message = await failureOf(() => engine.stack.preview());
    expect(message).toContain("projectRef must be the Supabase project's 20-letter ref");
    expect(calls()).toEqual([]);
  });
});

// A stack from before deployed each function with a command resource of the
// same name, whose delete runs `supabase functions delete`. The command
// provider cannot load here: an up that called it (to delete the old
// resource) would fail, so a successful up shows it never ran.
describe("moving a stack from the command resources", () => {
  let api: ManagementApiStandIn;
  let engine: EngineStack;
  let moved = false;
  const root = join(__dirname, "..", "..", "functions");
  const PROVIDER = "urn:pulumi:move::roamcast::pulumi:providers:command::default_1_0_1";
  const PARENT = "urn:pulumi:move::roamcast::roamcast:supabase:SupabaseBackend::supabase";

  beforeAll(async () => {
    api = await startManagementApi(REF);
    engine = await engineStack("move", async () => {
      const parent = new pulumi.ComponentResource("roamcast:supabase:SupabaseBackend", "supabase");
      if (!moved) return;
      const sources = Object.fromEntries(EDGE_FUNCTIONS.map((fn) => [fn.name, readSources(root, fn.name)]));
      const args = { projectRef: REF, apiUrl: api.url, accessToken: TOKEN, sources, namePrefix: "supabase" };
      new FunctionDeploys("supabase-functions", args, { parent });
    });
    await engine.stack.up();
    const exported = await engine.stack.exportStack();
    exported.deployment.resources.push(
      { urn: PROVIDER, custom: true, id: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", type: "pulumi:providers:command" },
      ...EDGE_FUNCTIONS.map((fn) => legacyCommand(fn.name)),
    );
    await engine.stack.importStack(exported);
  }, 120_000);
  afterAll(() => {
    api?.close();
    engine?.remove();
  });

  function legacyCommand(name: string) {
    const deploy = `node_modules/.bin/supabase functions deploy ${name} --project-ref ${REF} --use-api --workdir .`;
    const inputs = {
      create: deploy,
      update: deploy,
      delete: `node_modules/.bin/supabase functions delete ${name} --project-ref ${REF} --workdir .`,
      triggers: ["0".repeat(64)],
    };
    return {
      urn: `urn:pulumi:move::roamcast::roamcast:supabase:SupabaseBackend$command:local:Command::supabase-function-${name}`,
      custom: true,
      id: `supabase-function-${name}-1a2b3c4d`,
      type: "command:local:Command",
      parent: PARENT,
      provider: `${PROVIDER}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`,
      inputs,
      outputs: { ...inputs, stdout: "", stderr: "" },
    };
  }

  it("the first up updates each command resource into a deploy resource and deletes no function", async () => {
    moved = true;
    expect((await engine.stack.preview()).changeSummary).toEqual({ same: 2, create: 1, update: 2 });
    const up = await engine.stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(api.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
    expect([...api.functions.keys()].sort()).toEqual(EDGE_FUNCTIONS.map((fn) => fn.name).sort());
    const state = JSON.stringify((await engine.stack.exportStack()).deployment.resources);
    expect(state).not.toContain("command:local:Command");
    expect(state).not.toContain("functions delete");
    expect((await engine.stack.preview()).changeSummary).toEqual({ same: 5 });
  });
});
