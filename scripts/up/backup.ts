// The state backup `npm run up` takes before every change: `pulumi stack
// export` (secrets stay encrypted) into backups/<stack>/<stack>-<UTC time>.json,
// the newest N kept, and `pulumi up` only once the backup is on disk.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

export const DEFAULT_KEEP = 20;
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** `dev-2026-11-30T01-59-38.123Z.json`: sorts by time, and has no ':' for any file system. */
export function backupFileName(stack: string, at: Date): string {
  return `${stack}-${at.toISOString().replace(/:/g, "-")}.json`;
}

const backupPattern = (stack: string) =>
  new RegExp(`^${stack.replace(/[.]/g, "\\.")}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}Z\\.json$`);

/** The backups of `stack` to delete so that the newest `keep` remain; other files are never touched. */
export function backupsToPrune(names: readonly string[], stack: string, keep: number): string[] {
  const backups = names.filter((n) => backupPattern(stack).test(n)).sort();
  return backups.slice(0, Math.max(0, backups.length - keep));
}

export interface BackupOptions {
  readonly stack: string;
  /** backups/ of the project; each stack gets its own folder inside. */
  readonly dir: string;
  readonly keep: number;
  /** Where `pulumi` runs: the project folder (Pulumi.yaml). */
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

export type BackupResult =
  | { readonly kind: "saved"; readonly file: string; readonly resources: number; readonly pruned: readonly string[] }
  | { readonly kind: "empty"; readonly note: string };

/** Exports the stack's state; throws, saying why, when the export fails or is not a state. */
export function backupState(options: BackupOptions): BackupResult {
  const { stack, keep } = options;
  if (!STACK_NAME.test(stack)) throw new Error(`--stack "${stack}" is not a stack name; use e.g. dev or prod`);
  const folder = join(options.dir, stack);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, backupFileName(stack, (options.now ?? (() => new Date()))()));
  const partial = `${file}.partial`;
  const result = spawnSync("pulumi", ["stack", "export", "--stack", stack, "--show-secrets=false", "--file", partial], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (result.error || result.status !== 0) {
    rmSync(partial, { force: true });
    const why = result.error?.message ?? (result.stderr.trim() || `exit ${result.status}`);
    throw new Error(`state backup of stack "${stack}" failed, so pulumi up did not run: ${oneLine(why)}`);
  }
  const resources = resourceCount(partial, stack);
  if (resources === 0) {
    rmSync(partial, { force: true });
    return { kind: "empty", note: `stack "${stack}" has no resources yet: nothing to back up before this first up` };
  }
  renameSync(partial, file);
  const pruned = backupsToPrune(readdirSync(folder), stack, keep);
  for (const name of pruned) rmSync(join(folder, name));
  return { kind: "saved", file, resources, pruned };
}

/** The number of resources in an exported state; throws when the file is not one. */
function resourceCount(path: string, stack: string): number {
  let state: { deployment?: { resources?: unknown[] } };
  try {
    state = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    rmSync(path, { force: true });
    throw new Error(
      `state backup of stack "${stack}" failed, so pulumi up did not run: the export is not JSON (${(error as Error).message})`,
    );
  }
  return Array.isArray(state.deployment?.resources) ? state.deployment.resources.length : 0;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();

/** `pulumi up --stack <stack> …` with the terminal attached; its exit code. */
export function runPulumiUp(stack: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): number {
  const result = spawnSync("pulumi", ["up", "--stack", stack, ...args], {
    cwd,
    env: env ?? process.env,
    stdio: "inherit",
  });
  if (result.error) throw new Error(`pulumi up could not start: ${result.error.message}`);
  return result.status ?? 1;
}

/** What a backup did, for the log. */
export function describeBackup(backup: BackupResult, stack: string, keep: number): string[] {
  if (backup.kind === "empty") return [`note: ${backup.note}`];
  return [
    `state of ${stack} (${backup.resources} resources) saved to ${backup.file}`,
    ...(backup.pruned.length > 0 ? [`removed ${backup.pruned.length} older backup(s), keeping ${keep}`] : []),
  ];
}

/** The backup, then the up; the up never starts when the backup failed. */
export function backedUpUp(
  options: BackupOptions & { readonly upArgs: readonly string[] },
  log: (line: string) => void,
  up: typeof runPulumiUp = runPulumiUp,
): number {
  describeBackup(backupState(options), options.stack, options.keep).forEach((line) => log(line));
  return up(options.stack, options.upArgs, options.cwd, options.env);
}
