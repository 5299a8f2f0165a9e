// npm run migrate -- <status|up|apply-one|revert-one|revert <version> [--allow-data-loss]> [--db-url URL]
// The stack's own migration path. `up` applies every pending migration in
// order; `apply-one` / `revert-one` take one migration from the environment
// (ROAMCAST_MIGRATION, base64 JSON) and are what `pulumi up` runs per
// migration, so a revert that removed a file can still run its down SQL.
// `revert-one` allows data loss only when ROAMCAST_ALLOW_DATA_LOSS names that
// migration, and refuses while migrations/ holds its version under another
// name or with other statements (a rename or an edit, not a revert).
// The database URL comes from --db-url or DATABASE_URL; it is never printed.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { decodeMigration, type Migration, migrationId, readMigrations } from "../db/migrations";
import { applyMigration, migrationStatus, readLedger, revertMigration } from "../db/migrator";
import { folderConflict } from "../db/plan";

const projectDir = resolve(__dirname, "..");

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "db-url": { type: "string" }, dir: { type: "string" }, "allow-data-loss": { type: "boolean" } },
  });
  const command = positionals[0];
  const url = values["db-url"] ?? process.env.DATABASE_URL;
  if (!command || !["status", "up", "apply-one", "revert-one", "revert"].includes(command)) {
    console.error(
      "usage: npm run migrate -- <status|up|apply-one|revert-one|revert <version> [--allow-data-loss]> [--db-url URL]",
    );
    return 2;
  }
  if (!url) {
    console.error("no database: pass --db-url or set DATABASE_URL (Supabase: the pooler's session-mode URL)");
    return 2;
  }
  const dir = values.dir ? resolve(values.dir) : join(projectDir, "migrations");
  const sql = postgres(url, { max: 1, onnotice: () => {}, prepare: false, connect_timeout: 15 });
  try {
    switch (command) {
      case "status": {
        const status = migrationStatus(readMigrations(dir), await readLedger(sql));
        for (const id of status.applied) console.log(`applied  ${id}`);
        for (const m of status.pending) console.log(`pending  ${migrationId(m)}`);
        for (const r of status.unknown)
          console.log(`unknown  ${r.version}_${r.name ?? "?"} (in the database, not in migrations/)`);
        return 0;
      }
      case "up": {
        for (const m of readMigrations(dir)) console.log(`${await applyMigration(sql, m)}  ${migrationId(m)}`);
        return 0;
      }
      case "apply-one": {
        const m = decodeMigration(process.env.ROAMCAST_MIGRATION);
        console.log(`${await applyMigration(sql, m)}  ${migrationId(m)}`);
        return 0;
      }
      case "revert-one": {
        const m = decodeMigration(process.env.ROAMCAST_MIGRATION);
        refuseIfStillInFolder(m, dir);
        const allowDataLoss = process.env.ROAMCAST_ALLOW_DATA_LOSS === migrationId(m);
        console.log(`${await revertMigration(sql, m, { allowDataLoss })}  ${migrationId(m)}`);
        return 0;
      }
      case "revert": {
        const version = positionals[1];
        const m = readMigrations(dir).find((x) => x.version === version);
        if (!m) {
          console.error(`no migration with version ${version ?? "(none given)"} in ${dir}`);
          return 2;
        }
        const allowDataLoss = values["allow-data-loss"] === true;
        console.log(`${await revertMigration(sql, m, { allowDataLoss })}  ${migrationId(m)}`);
        return 0;
      }
    }
    return 2;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A delete that comes from a rename or an edit of the file, not from its removal, must not run the down SQL. */
function refuseIfStillInFolder(carried: Migration, dir: string): void {
  if (!existsSync(dir))
    throw new Error(
      `revert-one checks migrations/ before it reverts, and there is none at ${dir}: run it from the project root`,
    );
  const conflict = folderConflict(carried, readMigrations(dir));
  if (conflict) throw new Error(conflict);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
