// The edge functions' deploys under the real Pulumi engine, against a local
// stand-in of Supabase's Management API that records every upload and delete
// (the real API is unreachable here): both deployed, unchanged, one source
// file changed, one function removed, destroyed.
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  const calls = () => api.requests.splice(0).map((r) => `${r.method} ${r.url}`);

  beforeAll(async () => {
    cpSync(join(__dirname, "..", "..", "functions"), root, { recursive: true });
    api = await startManagementApi(REF);
    engine = await engineStack("dev", async () => {
      new FunctionDeploys("supabase-functions", {
        projectRef,
        apiUrl: api.url,
        accessToken: TOKEN,
        sources: sources(),
        namePrefix: "supabase",
      });
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
    expect(preview.changeSummary).toEqual({ same: 4 });
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
    expect(preview.changeSummary).toEqual({ same: 3, update: 1 });
    expect(calls()).toEqual([]);
    await engine.stack.up();
    expect(calls()).toEqual([`POST /v1/projects/${REF}/functions/deploy?slug=livekit-token`]);
    expect(api.functions.get("livekit-token")!.files["livekit-token/handler.ts"]).toContain("changed by the engine");
  });

  it("a function removed from the program: the preview shows one delete; up deletes it in the project", async () => {
    names = ["livekit-token"];
    const preview = await engine.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 3, delete: 1 });
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
