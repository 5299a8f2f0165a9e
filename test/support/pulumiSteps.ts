// What `pulumi up` does with the SupabaseBackend's migration commands between
// two runs of the program, reproduced so the tests can run the same commands
// in the same order against a real PostgreSQL: resources are matched by name
// or alias; creates and updates run in program order with the new inputs,
// then the resources the program no longer declares are deleted, newest
// first, with the inputs kept in the state. The first failing step stops the
// run, as `pulumi up` stops.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeMigration, type Migration, migrationId } from "../../db/migrations";
import { tempDir } from "../../local/temp";
import { type RecordedResource, reveal, withMocks } from "./pulumiMocks";

export const root = join(__dirname, "..", "..");

export interface Recording {
  readonly resources: readonly RecordedResource[];
  /** Each child's aliases (their names), as the component passed them. */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
}

export interface Step {
  readonly action: "create" | "update" | "delete";
  readonly resource: RecordedResource;
}

export interface StepResult {
  readonly step: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The migration a recorded command carries, or undefined for other resources. */
export function carried(resource: RecordedResource): Migration | undefined {
  const encoded = reveal(resource.inputs).environment?.ROAMCAST_MIGRATION;
  return encoded ? decodeMigration(encoded) : undefined;
}

export function migrationCommand(recording: Recording, version: string): RecordedResource {
  const found = recording.resources.filter((r) => carried(r)?.version === version);
  if (found.length !== 1) throw new Error(`expected one command for migration ${version}, found ${found.length}`);
  return found[0]!;
}

export function pulumiSteps(before: Recording, after: Recording): Step[] {
  const oldCommands = before.resources.filter((r) => carried(r));
  const steps: Step[] = [];
  const kept = new Set<string>();
  for (const resource of after.resources.filter((r) => carried(r))) {
    const names = [resource.name, ...(after.aliases.get(resource.name) ?? [])];
    const old = oldCommands.find((o) => names.includes(o.name));
    if (!old) {
      steps.push({ action: "create", resource });
      continue;
    }
    kept.add(old.name);
    if (JSON.stringify(reveal(old.inputs)) !== JSON.stringify(reveal(resource.inputs)))
      steps.push({ action: "update", resource });
  }
  for (const old of [...oldCommands].reverse())
    if (!kept.has(old.name)) steps.push({ action: "delete", resource: old });
  return steps;
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

/** Runs the steps in a checkout until one fails; returns what each printed. */
export async function runSteps(steps: readonly Step[], cwd: string): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const result = await runRecorded(step.resource, step.action, {}, cwd);
    results.push(result);
    if (result.status !== 0) break;
  }
  return results;
}

/**
 * A checkout of the project at a later commit, where `pulumi up` runs: its
 * own scripts/ and db/ (copied), and a migrations/ folder holding exactly
 * the given migrations.
 */
export function checkout(migrations: readonly Migration[]): string {
  const dir = tempDir();
  for (const entry of ["node_modules", "package.json", "tsconfig.json"])
    symlinkSync(join(root, entry), join(dir, entry));
  for (const folder of ["scripts", "db"]) {
    mkdirSync(join(dir, folder));
    for (const file of readdirSync(join(root, folder)).filter((f) => f.endsWith(".ts")))
      copyFileSync(join(root, folder, file), join(dir, folder, file));
  }
  mkdirSync(join(dir, "migrations", "down"), { recursive: true });
  for (const m of migrations) {
    writeFileSync(join(dir, "migrations", `${migrationId(m)}.sql`), m.up);
    writeFileSync(join(dir, "migrations", "down", `${migrationId(m)}.sql`), m.down);
  }
  return dir;
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
      functionHashes: { "livekit-token": "a".repeat(64), "livekit-webhook": "b".repeat(64) },
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
    "supabase-function-secrets",
    "supabase-function-livekit-token",
    "supabase-function-livekit-webhook",
  ]);
  return { resources: run.resources, aliases };
}
