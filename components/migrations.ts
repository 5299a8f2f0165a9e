// The project's migrations as resources the Pulumi engine runs itself: one
// dynamic resource per migration, named by its version, each depending on the
// one before (applied in order, rolled back newest first). create applies it
// (db/migrator.ts: its statements and the Supabase CLI's ledger row in one
// transaction, under the advisory lock), delete runs the down SQL it carries
// in the state, so a revert that removed the file can still undo it. An
// applied migration renamed or edited is refused by check, at preview.
//
// Pulumi serialises the provider's functions with what they capture into
// each resource's state; they capture only db/ modules and require postgres
// at run time, so the serialized text changes only when those modules do.
import * as pulumi from "@pulumi/pulumi";
import { type Migration, migrationId } from "../db/migrations";
import { applyMigration, revertMigration } from "../db/migrator";
import { changedInputs, checkMigration, type MigrationInputs } from "../db/steps";

async function withDatabase<T>(url: string, run: (sql: import("postgres").Sql) => Promise<T>): Promise<T> {
  // Required here, not imported: the serialized provider loads it from node_modules.
  const postgres = require("postgres") as typeof import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {}, prepare: false, connect_timeout: 15 });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const asMigration = (p: Migration): Migration => ({ version: p.version, name: p.name, up: p.up, down: p.down });

export const migrationProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return { inputs: news, failures: checkMigration(olds, news) };
  },
  async diff(_id, olds, news) {
    const changes = changedInputs(olds, news);
    // Never a replace: that would run the down SQL and apply again. An edit of `up` is refused by check.
    return { changes: changes.length > 0, replaces: [], deleteBeforeReplace: false };
  },
  async create(inputs: MigrationInputs) {
    const outcome = await withDatabase(inputs.dbUrl, (sql) => applyMigration(sql, asMigration(inputs)));
    return { id: `${inputs.version}_${inputs.name}`, outs: { ...inputs, outcome } };
  },
  async update(_id, _olds: MigrationInputs, news: MigrationInputs) {
    // Already applied: this only checks the ledger agrees, and keeps the new URL and down SQL.
    const outcome = await withDatabase(news.dbUrl, (sql) => applyMigration(sql, asMigration(news)));
    return { outs: { ...news, outcome } };
  },
  async delete(_id, props: MigrationInputs) {
    await withDatabase(props.dbUrl, (sql) =>
      revertMigration(sql, asMigration(props), { allowDataLoss: props.allowDataLoss === true }),
    );
  },
};

/** One migration, applied while it exists, reverted with its down SQL when it is deleted. */
export class MigrationStep extends pulumi.dynamic.Resource {
  declare readonly outcome: pulumi.Output<string>;
  constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(migrationProvider, name, { ...args, outcome: undefined }, { ...opts, additionalSecretOutputs: ["dbUrl"] });
  }
}

export interface SupabaseMigrationsArgs {
  /** The pooler's session-mode URL; made a Pulumi secret here. */
  readonly dbUrl: pulumi.Input<string>;
  readonly migrations: readonly Migration[];
  /** Versions whose down SQL may delete rows. */
  readonly allowDataLoss?: ReadonlySet<string>;
  /** The prefix of each step's name (`<prefix>-migration-<version>`). */
  readonly namePrefix: string;
}

export class SupabaseMigrations extends pulumi.ComponentResource {
  readonly steps: MigrationStep[];
  readonly appliedMigrations: pulumi.Output<string[]>;

  constructor(name: string, args: SupabaseMigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("roamcast:migrations:SupabaseMigrations", name, {}, opts);
    const dbUrl = pulumi.secret(args.dbUrl);
    let previous: MigrationStep | undefined;
    this.steps = args.migrations.map((m) => {
      const step = new MigrationStep(
        `${args.namePrefix}-migration-${m.version}`,
        { ...asMigration(m), dbUrl, allowDataLoss: args.allowDataLoss?.has(m.version) ?? false },
        { parent: this, dependsOn: previous ? [previous] : [] },
      );
      previous = step;
      return step;
    });
    this.appliedMigrations = pulumi.all(this.steps.map((s) => s.outcome)).apply(() => args.migrations.map(migrationId));
    this.registerOutputs({ appliedMigrations: this.appliedMigrations });
  }
}
