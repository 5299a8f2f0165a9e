// The layout's rules hold over the real import graph, and the checker
// itself catches each kind of breach.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ImportGraph, importCycles, layoutViolations, readImportGraph } from "../support/importGraph";

const root = join(__dirname, "..", "..");
const graphOf = (edges: Record<string, string[]>, packages: Record<string, string[]> = {}): ImportGraph =>
  new Map(Object.entries(edges).map(([file, files]) => [file, { files, packages: packages[file] ?? [] }]));

describe("the project's layout", () => {
  const graph = readImportGraph(root);

  it("reads every source folder of the program", () => {
    const folders = new Set([...graph.keys()].map((f) => f.split("/")[0]));
    for (const folder of [
      "components",
      "config",
      "plans",
      "templates",
      "db",
      "tour",
      "local",
      "scripts",
      "bench",
      "test",
      "functions",
      "policy",
    ])
      expect(folders).toContain(folder);
    expect(graph.get("index.ts")?.files).toContain("components/host.ts");
  });

  it("holds every rule: components/ never imports config/, templates/ and plans/ are pure, nothing outside test/ imports test/, no cycles", () => {
    expect(layoutViolations(graph)).toEqual([]);
  });

  it("components/ holds only ComponentResources", () => {
    const components = [...graph.keys()].filter((f) => f.startsWith("components/"));
    expect(components.length).toBeGreaterThan(0);
    for (const file of components)
      expect(readFileSync(join(root, file), "utf8"), file).toMatch(/class \w+ extends pulumi\.ComponentResource/);
  });
});

describe("the layout checker", () => {
  it("names a component that imports config/", () => {
    expect(layoutViolations(graphOf({ "components/a.ts": ["config/schema.ts"], "config/schema.ts": [] }))).toEqual([
      "components/a.ts imports config/schema.ts: components/ never imports config/ (components take typed args; config/ maps stack config onto them)",
    ]);
  });

  it("names a planner or renderer that imports components/ or config/, or reads the disk", () => {
    const problems = layoutViolations(
      graphOf(
        {
          "plans/a.ts": ["components/b.ts"],
          "templates/c.ts": ["config/d.ts"],
          "components/b.ts": [],
          "config/d.ts": [],
        },
        { "plans/a.ts": ["node:fs"] },
      ),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/plans\/a.ts imports node:fs: plans\/ is pure/);
  });

  it("names a policy that imports a component", () => {
    expect(layoutViolations(graphOf({ "policy/a.ts": ["components/host.ts"], "components/host.ts": [] }))).toEqual([
      "policy/a.ts imports components/host.ts: policy/ never imports components/ (policies judge what the engine hands them, with the pure tables of plans/, templates/ and config/)",
    ]);
  });

  it("names code outside test/ that imports test/", () => {
    expect(layoutViolations(graphOf({ "bench/a.ts": ["test/support/b.ts"], "test/support/b.ts": [] }))).toEqual([
      "bench/a.ts imports test/support/b.ts: nothing outside test/ imports test/",
    ]);
  });

  it("finds cycles of any length, and a file importing itself", () => {
    expect(importCycles(graphOf({ "a.ts": ["b.ts"], "b.ts": ["c.ts"], "c.ts": ["a.ts"], "d.ts": ["a.ts"] }))).toEqual([
      ["a.ts", "b.ts", "c.ts"],
    ]);
    expect(importCycles(graphOf({ "a.ts": ["a.ts"] }))).toEqual([["a.ts"]]);
    expect(importCycles(graphOf({ "a.ts": ["b.ts"], "b.ts": [] }))).toEqual([]);
  });
});
