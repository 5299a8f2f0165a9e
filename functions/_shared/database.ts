// The function's own database connection (SUPABASE_DB_URL). Each call runs in
// one transaction with the caller's role and claims set exactly as PostgREST
// sets them, so row-level security and auth.uid() see the real caller.
import postgres from "postgres";

export type Sql = postgres.Sql;

export function connect(url: string): Sql {
  // prepare: false, because Supabase's transaction pooler cannot keep
  // prepared statements across transactions.
  return postgres(url, { prepare: false, max: 5, idle_timeout: 20, connect_timeout: 10, onnotice: () => {} });
}

/**
 * Sets the caller's claims and role in one statement, as PostgREST does:
 * set_config('role', ..., true) is SET LOCAL ROLE, with the same membership check.
 */
function becomeRole(
  tx: postgres.TransactionSql,
  role: "authenticated" | "service_role",
  claims: Record<string, unknown>,
) {
  return tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('role', ${role}, true)`;
}

export async function asRole<T>(
  sql: Sql,
  role: "authenticated" | "service_role",
  claims: Record<string, unknown>,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return (await sql.begin(async (tx) => {
    await becomeRole(tx, role, claims);
    return await fn(tx);
  })) as T;
}

type Results<Q extends readonly unknown[]> = { -readonly [K in keyof Q]: Awaited<Q[K]> };

/**
 * asRole for a fixed list of statements: the claims, the role and the
 * statements go to PostgreSQL in one write (postgres.js pipelines a
 * transaction's queries on its one connection, and PostgreSQL runs them in
 * order), so a call costs three round trips (begin, the statements, commit)
 * however many statements it has, and a row lock one of them takes is held
 * for one round trip, not one per statement. A statement that fails aborts
 * the rest, and the transaction rolls back, as with asRole.
 */
export async function asRoleAtOnce<Q extends readonly Promise<readonly unknown[]>[]>(
  sql: Sql,
  role: "authenticated" | "service_role",
  claims: Record<string, unknown>,
  statements: (tx: postgres.TransactionSql) => readonly [...Q],
): Promise<Results<Q>> {
  const all = (await sql.begin((tx) => {
    // Sent now, so it goes first whatever the caller does with its statements (postgres.js sends a query
    // when it is first awaited or executed, not when it is written).
    const setup = becomeRole(tx, role, claims).execute();
    return [setup, ...statements(tx)];
  })) as unknown[];
  return all.slice(1) as Results<Q>;
}
