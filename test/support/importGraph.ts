// The project's import graph, read with TypeScript's own pre-processor, and
// the layout's rules over it (DEVELOPERS.md): which folder may import which,
// no cycles.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** file (relative to the root) -> the project files and the packages it imports. */
export type ImportGraph = ReadonlyMap<
  string,
  { readonly files: readonly string[]; readonly packages: readonly string[] }
>;

const SKIP = new Set(["node_modules", ".tools", ".git", "dist", "out", ".pulumi"]);

function sourceFiles(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (SKIP.has(entry)) return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(root, path);
    return /\.(ts|mts)$/.test(entry) && !entry.endsWith(".d.ts") ? [relative(root, path)] : [];
  });
}

function resolveImport(root: string, from: string, spec: string): string | undefined {
  const base = resolve(root, dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return undefined;
}

export function readImportGraph(root: string): ImportGraph {
  const graph = new Map<string, { files: string[]; packages: string[] }>();
  for (const file of sourceFiles(root)) {
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    const files: string[] = [];
    const packages: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith(".")) {
        const target = resolveImport(root, file, fileName);
        if (!target) throw new Error(`${file} imports ${fileName}, which does not resolve to a file`);
        files.push(target);
      } else packages.push(fileName);
    }
    graph.set(file, { files, packages });
  }
  return graph;
}

const topFolder = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : "");

interface FolderRule {
  readonly from: readonly string[];
  readonly never: readonly string[];
  readonly why: string;
}

export const FOLDER_RULES: readonly FolderRule[] = [
  { from: ["components"], never: ["config"], why: "components take typed args; config/ maps stack config onto them" },
  {
    from: ["templates", "plans"],
    never: ["components", "config"],
    why: "renderers and planners are pure and take their own small types",
  },
  {
    from: ["policy"],
    never: ["components", "scripts", "local"],
    why: "policies judge what the engine hands them, with the pure tables of plans/, templates/ and config/",
  },
];

/** Packages a pure folder may not import: the disk, processes, the Pulumi runtime. */
export const IMPURE_PACKAGES = [
  "fs",
  "node:fs",
  "fs/promises",
  "node:fs/promises",
  "child_process",
  "node:child_process",
  "@pulumi/pulumi",
];

/** Every broken rule, one line each; empty when the layout holds. */
export function layoutViolations(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const [file, { files, packages }] of graph) {
    const folder = topFolder(file);
    for (const target of files) {
      const targetFolder = topFolder(target);
      for (const rule of FOLDER_RULES) {
        if (rule.from.includes(folder) && rule.never.includes(targetFolder))
          problems.push(`${file} imports ${target}: ${folder}/ never imports ${targetFolder}/ (${rule.why})`);
      }
      if (targetFolder === "test" && folder !== "test")
        problems.push(`${file} imports ${target}: nothing outside test/ imports test/`);
    }
    if (folder === "templates" || folder === "plans") {
      for (const pkg of packages)
        if (IMPURE_PACKAGES.includes(pkg))
          problems.push(`${file} imports ${pkg}: ${folder}/ is pure (the caller reads the disk and passes content in)`);
    }
  }
  for (const cycle of importCycles(graph)) problems.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  return problems;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file)?.files ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.files.includes(file)) cycles.push(component.reverse());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
