// Applies and reverts migrations the way the Supabase CLI applies them: each
// migration's statements and its ledger row in one transaction, in the CLI's
// own ledger (supabase_migrations.schema_migrations), so `supabase migration
// list` agrees. A transaction-level advisory lock serialises concurrent
// appliers (it also holds through Supabase's transaction pooler).
import type postgres from "postgres";
import { ALLOW_DATA_LOSS_SETTING, DATA_LOSS_SQLSTATE } from "./dataLoss";
import { type Migration, migrationId } from "./migrations";
import { type LedgerEntry, ledgerNameProblem, revertOrderProblem } from "./plan";
import { splitStatements } from "./statements";

export interface LedgerRow extends LedgerEntry {
  readonly statements: readonly string[] | null;
}

export interface RevertOptions {
  /** Lets the down file's guard delete data, for this migration and this transaction only. */
  readonly allowDataLoss?: boolean;
}

export type ApplyOutcome = "applied" | "already-applied";
export type RevertOutcome = "reverted" | "not-applied";

const LOCK_KEY = "roamcast:supabase_migrations";

async function lockAndEnsureLedger(tx: postgres.TransactionSql): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext(${LOCK_KEY}))`;
  await tx.unsafe("create schema if not exists supabase_migrations");
  await tx.unsafe(
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
  );
  await tx.unsafe("alter table supabase_migrations.schema_migrations add column if not exists statements text[]");
  await tx.unsafe("alter table supabase_migrations.schema_migrations add column if not exists name text");
}

export async function readLedger(sql: postgres.Sql): Promise<LedgerRow[]> {
  const [exists] = await sql`select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
  if (!exists?.present) return [];
  return sql<LedgerRow[]>`select version, name, statements from supabase_migrations.schema_migrations order by version`;
}

export async function applyMigration(sql: postgres.Sql, migration: Migration): Promise<ApplyOutcome> {
  const statements = splitStatements(migration.up);
  return sql.begin(async (tx) => {
    await lockAndEnsureLedger(tx);
    const [row] = await tx<
      LedgerRow[]
    >`select version, name, statements from supabase_migrations.schema_migrations where version = ${migration.version}`;
    if (row) {
      const renamed = ledgerNameProblem(migration, row);
      if (renamed) throw new Error(renamed);
      if (row.statements && JSON.stringify(row.statements) !== JSON.stringify(statements)) {
        throw new Error(
          `migration ${migrationId(migration)} was changed after it was applied (the ledger holds other statements); restore the file and add a new migration for the change`,
        );
      }
      return "already-applied" as const;
    }
    for (const [i, statement] of statements.entries()) {
      try {
        await tx.unsafe(statement);
      } catch (error) {
        const e = error as Error & { code?: string; position?: string };
        throw new Error(
          `migration ${migrationId(migration)} failed at statement ${i + 1} of ${statements.length} (${e.code ?? "error"}: ${e.message}); nothing of it was applied`,
        );
      }
    }
    await tx`insert into supabase_migrations.schema_migrations (version, name, statements) values (${migration.version}, ${migration.name}, ${statements})`;
    return "applied" as const;
  });
}

export async function revertMigration(
  sql: postgres.Sql,
  migration: Migration,
  options: RevertOptions = {},
): Promise<RevertOutcome> {
  return sql.begin(async (tx) => {
    await lockAndEnsureLedger(tx);
    const ledger = await tx<LedgerEntry[]>`select version, name from supabase_migrations.schema_migrations`;
    const row = ledger.find((r) => r.version === migration.version);
    if (!row) return "not-applied" as const;
    // Checked under the lock, so no migration can be applied in between.
    const problem = ledgerNameProblem(migration, row) ?? revertOrderProblem(migration, ledger);
    if (problem) throw new Error(problem);
    await tx`select set_config(${ALLOW_DATA_LOSS_SETTING}, ${options.allowDataLoss ? "on" : "off"}, true)`;
    for (const [i, statement] of splitStatements(migration.down).entries()) {
      try {
        await tx.unsafe(statement);
      } catch (error) {
        throw downFailure(migration, i, error as Error & { code?: string });
      }
    }
    await tx`delete from supabase_migrations.schema_migrations where version = ${migration.version}`;
    return "reverted" as const;
  });
}

function downFailure(migration: Migration, index: number, e: Error & { code?: string }): Error {
  const id = migrationId(migration);
  if (e.code === DATA_LOSS_SQLSTATE)
    return new Error(
      `down migration of ${id} would delete data (${e.message}); nothing was reverted. Move or delete that data ` +
        `first, or allow the loss for this migration alone: add "${id}" to the stack's allowDataLossMigrations and ` +
        "run `pulumi up` while its file is still in migrations/, then remove the file " +
        `(by hand: npm run migrate -- revert ${migration.version} --allow-data-loss)`,
    );
  return new Error(
    `down migration of ${id} failed at statement ${index + 1} (${e.code ?? "error"}: ${e.message}); the migration stays applied`,
  );
}

export interface MigrationStatus {
  readonly pending: readonly Migration[];
  readonly applied: readonly string[];
  /** In the ledger but not in migrations/: applied from elsewhere, or removed by a revert. */
  readonly unknown: readonly LedgerRow[];
}

/** Pure: what the database lacks and what it has that the project does not. */
export function migrationStatus(local: readonly Migration[], ledger: readonly LedgerRow[]): MigrationStatus {
  const appliedVersions = new Set(ledger.map((r) => r.version));
  const localVersions = new Set(local.map((m) => m.version));
  return {
    pending: local.filter((m) => !appliedVersions.has(m.version)),
    applied: local.filter((m) => appliedVersions.has(m.version)).map(migrationId),
    unknown: ledger.filter((r) => !localVersions.has(r.version)),
  };
}
