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

export async function asRole<T>(
  sql: Sql,
  role: "authenticated" | "service_role",
  claims: Record<string, unknown>,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    await tx.unsafe(role === "authenticated" ? "set local role authenticated" : "set local role service_role");
    return await fn(tx);
  })) as T;
}
