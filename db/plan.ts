// The rules that keep migrations/ and the database's ledger telling the same
// story, as pure functions over plain data. A migration's identity is its
// version: once applied, its name and statements are fixed, and only the
// newest applied migration may be reverted (later ones may build on it).
import { createHash } from "node:crypto";
import { renameReason } from "./identity";
import { splitStatements } from "./statements";

/** A migration as these rules see it (db/migrations.ts's Migration fits). */
export interface MigrationFile {
  readonly version: string;
  readonly name: string;
  readonly up: string;
}

/** A row of the Supabase CLI's ledger (the CLI records the name; very old rows may lack it). */
export interface LedgerEntry {
  readonly version: string;
  readonly name: string | null;
}

const idOf = (m: { version: string; name: string | null }) => `${m.version}_${m.name ?? "?"}`;

/** The applied rows newer than `version`, newest first: what must be reverted before it. */
export function newerApplied(version: string, ledger: readonly LedgerEntry[]): LedgerEntry[] {
  return ledger.filter((row) => row.version > version).sort((a, b) => (a.version < b.version ? 1 : -1));
}

/** Why `migration` may not be reverted now, or undefined when it is the newest applied one. */
export function revertOrderProblem(migration: MigrationFile, ledger: readonly LedgerEntry[]): string | undefined {
  const newer = newerApplied(migration.version, ledger);
  if (newer.length === 0) return undefined;
  return (
    `cannot revert ${idOf(migration)}: newer migrations are still applied and may depend on it: ` +
    `${newer.map(idOf).join(", ")}. Revert those first, newest first (remove their files and run \`pulumi up\`, ` +
    "or `npm run migrate -- revert <version>` for each); only the newest applied migration may be reverted"
  );
}

/** Why the ledger's row for this version is not this migration (a rename), or undefined. */
export function ledgerNameProblem(migration: MigrationFile, row: LedgerEntry): string | undefined {
  if (row.name === null || row.name === migration.name) return undefined;
  return renameReason(migration.version, idOf(row), idOf(migration));
}

/**
 * What a migration is once applied: its id and a hash of its statements as
 * the CLI's ledger records them (so whitespace between statements does not
 * count, and the down file does not count at all).
 */
export function migrationIdentity(m: MigrationFile): string {
  const hash = createHash("sha256")
    .update(JSON.stringify(splitStatements(m.up)))
    .digest("hex");
  return `${idOf(m)} sha256:${hash}`;
}

/** Version → identity, for every migration: what Pulumi records after a successful `up`. */
export function identityRecord(migrations: readonly MigrationFile[]): Record<string, string> {
  return Object.fromEntries(migrations.map((m) => [m.version, migrationIdentity(m)]));
}

/**
 * Why the down SQL a Pulumi resource carries must not run, given the
 * migrations/ folder where `pulumi up` runs: the folder still holds the same
 * version under another name or with other statements, so the delete comes
 * from a rename or an edit, not from a revert, and would drop a schema that
 * the folder still stands for. A version absent from the folder (a revert) or
 * present unchanged (`pulumi destroy`) is fine.
 */
export function folderConflict(carried: MigrationFile, folder: readonly MigrationFile[]): string | undefined {
  const now = folder.find((m) => m.version === carried.version);
  if (!now || migrationIdentity(now) === migrationIdentity(carried)) return undefined;
  const how = now.name !== carried.name ? "renamed" : "its statements changed";
  return (
    `refusing to revert ${idOf(carried)}: migrations/ still holds version ${carried.version}, as ${idOf(now)} (${how}). ` +
    "The migration stays applied under its version; Pulumi deletes the old resource only because its name or " +
    `statements changed. Restore migrations/${idOf(carried)}.sql as it was applied; ` +
    "put changes in a new migration with a later version"
  );
}
