// npm run migrate -- <status|up|apply-one|revert-one|revert <version> [--allow-data-loss]> [--db-url URL]
// The stack's own migration path. `up` applies every pending migration in
// order; `apply-one` / `revert-one` take one migration from the environment
// (ROAMCAST_MIGRATION, base64 JSON): what `pulumi up` ran per migration before
// migrations became dynamic resources (components/migrations.ts), and still
// runs for the command resources an older stack's state holds.
// `revert-one` allows data loss only when ROAMCAST_ALLOW_DATA_LOSS names that
// migration, and refuses while migrations/ holds its version under another
// name or with other statements (a rename or an edit, not a revert).
// The database URL comes from --db-url or DATABASE_URL; it is never printed.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { decodeMigration, type Migration, migrationId, readMigrations } from "../db/migrations";
import { applyMigration, migrationStatus, readLedger, revertMigration } from "../db/migrator";
import { folderConflict } from "../db/plan";
import { type Cli, InputError, runCli } from "./cli";

const projectDir = resolve(__dirname, "..");

const COMMANDS = ["status", "up", "apply-one", "revert-one", "revert"];

const SPEC = {
  usage:
    "usage: npm run migrate -- <status|up|apply-one|revert-one|revert <version> [--allow-data-loss]> [--db-url URL] [--dir DIR]",
  help: `
The stack's own migration path, against the database in --db-url or DATABASE_URL
(Supabase: the pooler's session-mode URL); the URL is never printed.

  status              which migrations are applied, pending, or only in the database
  up                  apply every pending migration, in order
  revert <version>    run the down SQL of one migration from migrations/ (only the newest applied one)
  apply-one           apply the migration in ROAMCAST_MIGRATION (base64 JSON), as \`pulumi up\` does
  revert-one          revert the migration in ROAMCAST_MIGRATION, as \`pulumi up\` does after a file is removed

  --db-url <url>      the database (default: DATABASE_URL)
  --dir <dir>         the migration files (default: migrations/)
  --allow-data-loss   with revert: let a down migration delete rows (its guard refuses otherwise)
  -h, --help          this text
`,
  options: { "db-url": { type: "string" }, dir: { type: "string" }, "allow-data-loss": { type: "boolean" } },
  positionals: 2,
} as const;

async function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const { values, positionals } = cli;
  const command = positionals[0];
  if (!command) cli.fail("a command is required");
  if (!COMMANDS.includes(command)) cli.fail(`unknown command ${JSON.stringify(command)}`);
  if (command === "revert" && positionals[1] === undefined) cli.fail("revert needs the version to revert");
  if (command !== "revert" && positionals[1] !== undefined)
    cli.fail(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const url = values["db-url"] ?? process.env.DATABASE_URL;
  if (!url)
    throw new InputError("no database: pass --db-url or set DATABASE_URL (Supabase: the pooler's session-mode URL)");
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
        if (!m) throw new InputError(`no migration with version ${version} in ${dir}`);
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

/**
 * A delete that comes from a rename or an edit of the file, not from its
 * removal, must not run the down SQL; nor may one whose file is still there:
 * migrations are dynamic resources now, and an older stack's migration
 * commands are deleted by the first `pulumi up` after the move unless they
 * were dropped from the state first.
 */
function refuseIfStillInFolder(carried: Migration, dir: string): void {
  if (!existsSync(dir))
    throw new Error(
      `revert-one checks migrations/ before it reverts, and there is none at ${dir}: run it from the project root`,
    );
  const folder = readMigrations(dir);
  const conflict = folderConflict(carried, folder);
  if (conflict) throw new Error(conflict);
  if (folder.some((m) => m.version === carried.version))
    throw new Error(
      `refusing to revert ${migrationId(carried)}: migrations/ still holds it. Deleting a migration command is now ` +
        "only how `pulumi up` drops the command resources of a stack made before migrations became resources; " +
        "remove them from the state first with `pulumi state delete` (README: Moving a stack to the migration resources)",
    );
}

if (require.main === module) runCli(SPEC, main);
