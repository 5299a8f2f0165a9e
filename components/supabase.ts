// The Supabase side of the platform: migrations applied in order (one
// resource each, so a preview names every migration it applies and, after a
// revert removed one, every one it rolls back with its down SQL), the edge
// functions' secrets, and the functions themselves.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { encodeMigration, type Migration, migrationId } from "../db/migrations";
import { EDGE_FUNCTIONS, functionSecrets } from "../plans/supabase";

export interface SupabaseBackendArgs {
  readonly projectRef: string;
  /** The pooler URL; a Pulumi secret. */
  readonly dbUrl: pulumi.Input<string>;
  /** A personal access token; a Pulumi secret. */
  readonly accessToken: pulumi.Input<string>;
  readonly legacyJwtSecret?: pulumi.Input<string>;
  readonly migrations: readonly Migration[];
  /** Content hash per edge function; a change redeploys it. */
  readonly functionHashes: Readonly<Record<string, string>>;
  readonly livekit: {
    readonly url: pulumi.Input<string>;
    readonly apiKey: pulumi.Input<string>;
    readonly apiSecret: pulumi.Input<string>;
  };
  readonly tokenMaxSeconds: number;
}

// Run from the project root, where `pulumi up` runs the program.
const TSX = "node_modules/.bin/tsx";
const SUPABASE = "node_modules/.bin/supabase";

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

    // Each migration depends on the one before: applied in order, rolled back in reverse.
    let previous: command.local.Command | undefined;
    const migrationCommands = args.migrations.map((m) => {
      const applied = new command.local.Command(
        `${name}-migration-${migrationId(m)}`,
        {
          // The down SQL travels in the environment kept in the state, so a
          // revert that deleted the file can still undo the migration.
          environment: { DATABASE_URL: dbUrl, ROAMCAST_MIGRATION: encodeMigration(m) },
          create: `${TSX} scripts/migrate.ts apply-one`,
          update: `${TSX} scripts/migrate.ts apply-one`,
          delete: `${TSX} scripts/migrate.ts revert-one`,
        },
        { ...child, dependsOn: previous ? [previous] : [] },
      );
      previous = applied;
      return applied;
    });

    const secretsJson = pulumi
      .all([args.livekit.url, args.livekit.apiKey, args.livekit.apiSecret, args.legacyJwtSecret])
      .apply(([livekitUrl, apiKey, apiSecret, legacyJwtSecret]) =>
        JSON.stringify(
          functionSecrets({ livekitUrl, apiKey, apiSecret, tokenMaxSeconds: args.tokenMaxSeconds, legacyJwtSecret }),
        ),
      );
    const setSecrets = `${TSX} scripts/supabase-api.ts set-secrets --project-ref ${args.projectRef}`;
    const secrets = new command.local.Command(
      `${name}-function-secrets`,
      {
        environment: { SUPABASE_ACCESS_TOKEN: accessToken },
        stdin: pulumi.secret(secretsJson),
        create: setSecrets,
        update: setSecrets,
        delete: `${TSX} scripts/supabase-api.ts unset-secrets --project-ref ${args.projectRef}`,
      },
      child,
    );

    for (const fn of EDGE_FUNCTIONS) {
      const hash = args.functionHashes[fn.name];
      if (!hash) throw new Error(`SupabaseBackend: no source hash for edge function ${fn.name}`);
      const deploy = [
        SUPABASE,
        "functions",
        "deploy",
        fn.name,
        "--project-ref",
        args.projectRef,
        "--use-api",
        "--workdir",
        ".",
        ...(fn.verifyJwt ? [] : ["--no-verify-jwt"]),
      ].join(" ");
      new command.local.Command(
        `${name}-function-${fn.name}`,
        {
          environment: { SUPABASE_ACCESS_TOKEN: accessToken },
          create: deploy,
          update: deploy,
          delete: `${SUPABASE} functions delete ${fn.name} --project-ref ${args.projectRef} --workdir .`,
          triggers: [hash],
        },
        { ...child, dependsOn: [secrets, ...migrationCommands] },
      );
    }

    this.appliedMigrations = pulumi
      .all(migrationCommands.map((c) => c.stdout))
      .apply(() => args.migrations.map(migrationId));
    this.registerOutputs({ appliedMigrations: this.appliedMigrations });
  }
}
