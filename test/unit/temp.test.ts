// Temporary folders go with the process that made them: they hold the local platform's configs (with its API
// secret) and data directories, and runs used to leave thousands behind in /tmp.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { removeTempFolders, tempDir, writeTemp } from "../../local/temp";

const root = join(__dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

describe("temporary folders", () => {
  it("hold the file, readable by this user only, while the process runs", () => {
    const file = writeTemp("livekit.yaml", "keys: {}\n");
    expect(readFileSync(file, "utf8")).toBe("keys: {}\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(tempDir())).toBe(true);
  });

  it("are removed, with what is in them, when the process that made them exits", () => {
    const program = `
      const { tempDir, writeTemp } = require(${JSON.stringify(join(root, "local", "temp"))});
      const { writeFileSync } = require("node:fs");
      const dir = tempDir();
      writeFileSync(dir + "/data", "x");
      console.log(JSON.stringify({ dir, file: writeTemp("redis.conf", "port 0\\n") }));
      process.exitCode = 0;`;
    const run = spawnSync(tsx, ["-e", program], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const made = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { dir: string; file: string };
    expect(made.dir).toMatch(/\/roamcast-[^/]+$/);
    expect(existsSync(made.dir)).toBe(false);
    expect(existsSync(join(made.file, ".."))).toBe(false);
  });

  it("are removed at once by removeTempFolders, as every test file does after its own hooks", () => {
    const dir = tempDir();
    const file = writeTemp("caddy.json", "{}");
    removeTempFolders();
    expect([existsSync(dir), existsSync(file)]).toEqual([false, false]);
    expect(existsSync(tempDir())).toBe(true);
  });
});
