// scripts/check-node.cjs: npm test stops at once on a Node outside the engines
// range, saying how to get Node 22, instead of crashing inside vitest.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");
const script = join(root, "scripts", "check-node.cjs");
const { nodeVersionProblem } = createRequire(__filename)(script) as {
  nodeVersionProblem(version: string, range: string, pinned: string): string | null;
};
const engines = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines
  .node;
const pinned = readFileSync(join(root, ".nvmrc"), "utf8").trim();

describe("the Node version check", () => {
  it("accepts the pinned version and the current one", () => {
    expect(nodeVersionProblem(pinned, engines, pinned)).toBeNull();
    expect(nodeVersionProblem(process.versions.node, engines, pinned)).toBeNull();
  });

  it.each(["20.20.2", "v18.19.0", "22.11.0", "23.0.0", "24.4.1"])(
    "refuses Node %s and says how to get Node 22",
    (version) => {
      const problem = nodeVersionProblem(version, engines, pinned);
      expect(problem).toContain(`This project needs Node ${engines} (pinned in .nvmrc: ${pinned})`);
      expect(problem).toContain(`this is Node ${version}`);
      expect(problem).toContain("scripts/install-node.sh");
      expect(problem).toContain("nvm install");
    },
  );

  it("names an engines range it cannot read", () => {
    expect(() => nodeVersionProblem("22.23.3", "^22", pinned)).toThrow(/engines.node "\^22" is not of the form/);
  });

  describe("run as npm's pretest", () => {
    const dir = mkdtempSync(join(tmpdir(), "check-node-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const runIn = (range: string) => {
      mkdirSync(join(dir, "scripts"), { recursive: true });
      copyFileSync(script, join(dir, "scripts", "check-node.cjs"));
      writeFileSync(join(dir, "package.json"), JSON.stringify({ engines: { node: range } }));
      writeFileSync(join(dir, ".nvmrc"), `${pinned}\n`);
      return spawnSync(process.execPath, [join(dir, "scripts", "check-node.cjs")], { encoding: "utf8" });
    };

    it("passes silently on the repository's own range", () => {
      const result = runIn(engines);
      expect([result.status, result.stderr]).toEqual([0, ""]);
    });

    it("exits 1 with the message, no stack trace, when this Node is outside the range", () => {
      const result = runIn(">=99.0.0 <100");
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`this is Node ${process.versions.node}`);
      expect(result.stderr).toContain("scripts/install-node.sh");
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
