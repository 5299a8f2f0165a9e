// The Supabase side of the platform: migrations applied in order (one
// resource each, so a preview names every migration it applies and, after a
// revert removed one, every one it rolls back with its down SQL), the edge
// functions' secrets (components/functionSecrets.ts) and the functions
// themselves (components/functionDeploys.ts), both through the Management API.
//
// The migrations are dynamic resources the engine runs itself
// (components/migrations.ts), named by version: a renamed or edited applied
// migration is refused at preview by their check, and again by
// MigrationIdentities, which keeps each applied migration's name and statement
// hash. Stacks from before kept each migration as a command resource; the
// README's "Moving a stack to the migration resources" is the one-time step.
import * as pulumi from "@pulumi/pulumi";
import { type Migration, migrationId } from "../db/migrations";
import { identityConflicts } from "../db/identity";
import { identityRecord } from "../db/plan";
import { EDGE_FUNCTIONS, type SourceFile, functionSecrets } from "../plans/supabase";
import { FunctionDeploys } from "./functionDeploys";
import { FunctionSecrets } from "./functionSecrets";
import { SupabaseMigrations } from "./migrations";

export interface SupabaseBackendArgs {
  readonly projectRef: string;
  /** The pooler URL; a Pulumi secret. */
  readonly dbUrl: pulumi.Input<string>;
  /** A personal access token; a Pulumi secret. */
  readonly accessToken: pulumi.Input<string>;
  readonly legacyJwtSecret?: pulumi.Input<string>;
  readonly migrations: readonly Migration[];
  /** Each edge function's files by path relative to functions/; a change redeploys it. */
  readonly functionSources: Readonly<Record<string, readonly SourceFile[]>>;
  readonly livekit: {
    readonly url: pulumi.Input<string>;
    readonly apiKey: pulumi.Input<string>;
    readonly apiSecret: pulumi.Input<string>;
  };
  readonly tokenMaxSeconds: number;
  /** The Management API's base URL (default https://api.supabase.com); a stand-in in tests. */
  readonly managementApiUrl?: string;
  /**
   * Migrations (ids like 20261125100100_livekit_rooms, or versions) whose down
   * SQL may delete data. The allowance travels in the migration's own
   * resource, so it must be applied (`pulumi up`) while the file is present,
   * before the revert that removes the file.
   */
  readonly allowDataLoss?: readonly string[];
}

export class SupabaseBackend extends pulumi.ComponentResource {
  readonly appliedMigrations: pulumi.Output<string[]>;

  constructor(name: string, args: SupabaseBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    // Aliased to the type token used before the layout move, so existing stacks keep these resources.
    super(
      "roamcast:supabase:SupabaseBackend",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "roamcast:supabase:Backend" }] },
    );
    const child = { parent: this };
    const dbUrl = pulumi.secret(args.dbUrl);
    const accessToken = pulumi.secret(args.accessToken);

    const migrations = this.migrationSteps(name, args, dbUrl);

    const secrets = new FunctionSecrets(
      `${name}-function-secrets`,
      {
        projectRef: args.projectRef,
        ...(args.managementApiUrl ? { apiUrl: args.managementApiUrl } : {}),
        accessToken,
        secrets: pulumi
          .all([args.livekit.url, args.livekit.apiKey, args.livekit.apiSecret, args.legacyJwtSecret])
          .apply(([livekitUrl, apiKey, apiSecret, legacyJwtSecret]) =>
            functionSecrets({ livekitUrl, apiKey, apiSecret, tokenMaxSeconds: args.tokenMaxSeconds, legacyJwtSecret }),
          ),
      },
      child,
    );

    for (const fn of EDGE_FUNCTIONS)
      if (!args.functionSources[fn.name]?.length)
        throw new Error(`SupabaseBackend: no source files for edge function ${fn.name} (functions/${fn.name}/)`);
    new FunctionDeploys(
      `${name}-functions`,
      {
        projectRef: args.projectRef,
        ...(args.managementApiUrl ? { apiUrl: args.managementApiUrl } : {}),
        accessToken,
        sources: args.functionSources,
        namePrefix: name,
      },
      { ...child, dependsOn: [secrets, migrations] },
    );

    this.appliedMigrations = migrations.appliedMigrations;
    this.registerOutputs({ appliedMigrations: this.appliedMigrations });
  }

  /** The migrations as dynamic resources, in order, then the record of their identities. */
  private migrationSteps(name: string, args: SupabaseBackendArgs, dbUrl: pulumi.Output<string>): SupabaseMigrations {
    const migrations = new SupabaseMigrations(
      `${name}-migrations`,
      {
        dbUrl,
        migrations: args.migrations,
        allowDataLoss: allowedDataLoss(args.migrations, args.allowDataLoss ?? []),
        namePrefix: name,
      },
      { parent: this },
    );
    // Recorded only once every migration has run, so a migration that failed can still be fixed.
    new MigrationIdentities(`${name}-migration-identities`, identityRecord(args.migrations), {
      parent: this,
      dependsOn: [migrations],
    });
    return migrations;
  }
}

/**
 * The versions whose down SQL may delete data. An entry naming no file in
 * migrations/ is only warned about: during the `up` that removes an allowed
 * migration's file, its entry is still there (and the allowance already sits
 * in that migration's resource).
 */
function allowedDataLoss(migrations: readonly Migration[], entries: readonly string[]): Set<string> {
  const allowed = new Set<string>();
  for (const entry of entries) {
    const version = /^(\d{14})(_[a-z0-9_]+)?$/.exec(entry)?.[1];
    if (!version)
      throw new Error(
        `SupabaseBackend: allowDataLoss entry "${entry}" is not a migration id or version; write it as migrations/ ` +
          "names the file without .sql (e.g. 20261125100100_livekit_rooms) or as its 14-digit version",
      );
    const m = migrations.find((x) => x.version === version);
    if (m && entry !== m.version && entry !== migrationId(m))
      throw new Error(
        `SupabaseBackend: allowDataLoss entry "${entry}" names version ${version}, which is ${migrationId(m)}`,
      );
    if (m) {
      allowed.add(m.version);
      pulumi.log.warn(`data loss is allowed for ${migrationId(m)}: a revert of it may delete rows`);
    } else
      pulumi.log.warn(
        `allowDataLoss names ${entry}, which is not in migrations/: it takes effect only if it was applied ` +
          "(pulumi up) while the file was there; remove the entry once the revert is done",
      );
  }
  return allowed;
}

/**
 * Each applied migration's identity (version → id and statement hash), kept
 * in Pulumi's state. Its check runs at preview, with the recorded identities
 * as the old inputs: a version whose name or statements changed is refused
 * there, before any command runs. Nothing outside the state is touched.
 */
export class MigrationIdentities extends pulumi.dynamic.Resource {
  constructor(name: string, identities: Record<string, string>, opts?: pulumi.CustomResourceOptions) {
    super(identityProvider, name, identities, opts);
  }
}

const identityProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return { inputs: news, failures: identityConflicts(olds, news) };
  },
  async diff(_id, olds, news) {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => k !== "__provider"));
    return { changes: [...keys].some((k) => olds[k] !== news[k]) };
  },
  async create(inputs) {
    return { id: "migration-identities", outs: inputs };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
};
