import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The folders this process made; removed when it exits. */
const made = new Set<string>();

/**
 * Removes every temporary folder this process made. They hold the local platform's configs (with its generated API
 * secret) and data directories, which no one reads after the processes that used them: runs left thousands behind.
 * Called at exit; test files call it after their last hook (test/support/tempFolders.ts), since a test runner ends
 * its workers without an exit event.
 */
export function removeTempFolders(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

function fresh(): string {
  if (made.size === 0) process.once("exit", removeTempFolders);
  const dir = mkdtempSync(join(tmpdir(), "roamcast-"));
  made.add(dir);
  return dir;
}

/** Writes a file into a fresh temporary folder, removed when this process exits, and returns its path. */
export function writeTemp(name: string, content: string, mode = 0o600): string {
  const path = join(fresh(), name);
  writeFileSync(path, content, { mode });
  return path;
}

/** A fresh temporary folder, removed when this process exits. */
export function tempDir(): string {
  return fresh();
}
