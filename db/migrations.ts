// The project's migrations as data: Supabase-CLI-named files in migrations/,
// each with its down file in migrations/down/, split into statements the
// way the Supabase CLI records them in its ledger.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const MIGRATION_FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  readonly version: string;
  readonly name: string;
  /** The up file's text, as committed. */
  readonly up: string;
  /** The down file's text: undoes `up`. */
  readonly down: string;
}

export function migrationId(m: Pick<Migration, "version" | "name">): string {
  return `${m.version}_${m.name}`;
}

/** One migration as the environment of a Pulumi command carries it (base64 JSON). */
export function encodeMigration(m: Migration): string {
  return Buffer.from(JSON.stringify({ version: m.version, name: m.name, up: m.up, down: m.down }), "utf8").toString("base64");
}

export function decodeMigration(encoded: string | undefined): Migration {
  if (!encoded) throw new Error("ROAMCAST_MIGRATION is not set; it carries the migration (base64 JSON) to apply or revert");
  let m: Migration;
  try {
    m = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as Migration;
  } catch {
    throw new Error("ROAMCAST_MIGRATION is not base64 JSON of {version, name, up, down}; it is written by the SupabaseBackend component, not by hand");
  }
  if (typeof m !== "object" || m === null) throw new Error("ROAMCAST_MIGRATION must hold an object {version, name, up, down}");
  for (const key of ["version", "name", "up", "down"] as const) {
    if (typeof m[key] !== "string") throw new Error(`ROAMCAST_MIGRATION lacks "${key}"`);
  }
  return m;
}

/** Reads migrations/ in version order; every up file needs its down file. */
export function readMigrations(dir: string): Migration[] {
  const problems: string[] = [];
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".sql")) continue;
    const match = MIGRATION_FILE.exec(file);
    if (!match) {
      problems.push(`${file}: name it <14-digit version>_<lower_snake_name>.sql, e.g. 20261125100000_tours.sql`);
      continue;
    }
    const downPath = join(dir, "down", file);
    if (!existsSync(downPath)) {
      problems.push(`${file}: no down migration; add migrations/down/${file} that undoes it`);
      continue;
    }
    migrations.push({ version: match[1]!, name: match[2]!, up: readFileSync(join(dir, file), "utf8"), down: readFileSync(downPath, "utf8") });
  }
  const versions = new Set<string>();
  for (const m of migrations) {
    if (versions.has(m.version)) problems.push(`${migrationId(m)}: version ${m.version} is used twice; give each migration its own timestamp`);
    versions.add(m.version);
  }
  if (problems.length) throw new Error(`migrations/ has problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return migrations;
}

/**
 * Splits SQL at top-level semicolons, as the Supabase CLI does before it
 * records a migration: quotes, quoted identifiers, dollar quotes and comments
 * are kept whole; each statement keeps the comments before it, loses its
 * semicolon and the whitespace around it; empty statements are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  const push = (end: number) => {
    const text = sql.slice(start, end).trim();
    if (text && !isOnlyComments(text)) statements.push(text);
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === "-" && sql[i + 1] === "-") {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") { depth++; i += 2; } else if (sql[i] === "*" && sql[i + 1] === "/") { depth--; i += 2; } else i++;
      }
    } else if (c === "'" || c === '"') {
      i++;
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) { i += 2; continue; }
          i++;
          break;
        }
        i++;
      }
    } else if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? "")) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else i++;
    } else if (c === ";") {
      push(i);
      i++;
      start = i;
    } else i++;
  }
  push(n);
  return statements;
}

function isOnlyComments(text: string): boolean {
  return text.replace(/--[^\n]*(\n|$)/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim() === "";
}
