// The SupabaseBackend recorded under Pulumi's mocks, and its commands run the
// way the command provider runs them (the migrations themselves are dynamic
// resources, run by the real engine in test/engine/).
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Migration } from "../../db/migrations";
import { type RecordedResource, reveal, withMocks } from "./pulumiMocks";

export const root = join(__dirname, "..", "..");

export interface Recording {
  readonly resources: readonly RecordedResource[];
  /** Each child's aliases (their names), as the component passed them. */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
}

export interface StepResult {
  readonly step: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a recorded command the way the command provider does: sh -c, its environment, its stdin. */
export async function runRecorded(
  resource: RecordedResource,
  which: "create" | "update" | "delete",
  extraEnv: Record<string, string> = {},
  cwd = root,
): Promise<StepResult> {
  const inputs = reveal(resource.inputs);
  const child = spawn("sh", ["-c", inputs[which]], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...inputs.environment, ...extraEnv },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(inputs.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { step: `${which} ${resource.name}`, status, stdout, stderr };
}

/** Runs the component under Pulumi's mocks and records its children, with the aliases it gave them. */
export async function recordBackend(
  dbUrl: string,
  list: readonly Migration[],
  allowDataLoss?: string[],
): Promise<Recording> {
  const run = await withMocks("dev", {});
  const { SupabaseBackend } = await import("../../components/supabase");
  const aliases = new Map<string, string[]>();
  new SupabaseBackend(
    "supabase",
    {
      projectRef: "abcdefghijklmnopqrst",
      dbUrl,
      accessToken: "sbp_test_token_0123456789abcdefghij",
      migrations: list,
      functionSources: {
        "livekit-token": [{ path: "livekit-token/index.ts", content: "// token" }],
        "livekit-webhook": [{ path: "livekit-webhook/index.ts", content: "// webhook" }],
      },
      livekit: { url: "wss://live.test", apiKey: "APIkey", apiSecret: "s".repeat(48) },
      tokenMaxSeconds: 12_600,
      ...(allowDataLoss ? { allowDataLoss } : {}),
    },
    {
      transformations: [
        (args) => {
          const names = (args.opts.aliases ?? []).map((a) => (a as { name?: string }).name ?? String(a));
          aliases.set(args.name, names);
          return undefined;
        },
      ],
    },
  );
  // The functions depend on every migration: once they are registered, all migrations are.
  await run.settle([
    "supabase-function-secrets-values",
    "supabase-function-livekit-token",
    "supabase-function-livekit-webhook",
  ]);
  return { resources: run.resources, aliases };
}
