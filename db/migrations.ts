// The project's migrations as data: Supabase-CLI-named files in migrations/,
// each with its down file in migrations/down/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dataGuardProblem } from "./dataLoss";

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
  return Buffer.from(JSON.stringify({ version: m.version, name: m.name, up: m.up, down: m.down }), "utf8").toString(
    "base64",
  );
}

export function decodeMigration(encoded: string | undefined): Migration {
  if (!encoded)
    throw new Error("ROAMCAST_MIGRATION is not set; it carries the migration (base64 JSON) to apply or revert");
  let m: Migration;
  try {
    m = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as Migration;
  } catch {
    throw new Error(
      "ROAMCAST_MIGRATION is not base64 JSON of {version, name, up, down}; it is written by the SupabaseBackend component, not by hand",
    );
  }
  if (typeof m !== "object" || m === null)
    throw new Error("ROAMCAST_MIGRATION must hold an object {version, name, up, down}");
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
    const down = readFileSync(downPath, "utf8");
    const unguarded = dataGuardProblem(down);
    if (unguarded) problems.push(`${file}: ${unguarded}`);
    migrations.push({ version: match[1]!, name: match[2]!, up: readFileSync(join(dir, file), "utf8"), down });
  }
  const versions = new Set<string>();
  for (const m of migrations) {
    if (versions.has(m.version))
      problems.push(`${migrationId(m)}: version ${m.version} is used twice; give each migration its own timestamp`);
    versions.add(m.version);
  }
  if (problems.length) throw new Error(`migrations/ has problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return migrations;
}
