import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes a file into a fresh temporary folder and returns its path. */
export function writeTemp(name: string, content: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), "roamcast-"));
  const path = join(dir, name);
  writeFileSync(path, content, { mode });
  return path;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "roamcast-"));
}
