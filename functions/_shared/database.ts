// The function's own database connection (SUPABASE_DB_URL). Each call runs in
// one transaction with the caller's role and claims set exactly as PostgREST
// sets them, so row-level security and auth.uid() see the real caller.
import postgres from "postgres";

export type Sql = postgres.Sql;
type Role = "authenticated" | "service_role";

export function connect(url: string): Sql {
  // prepare: false, because Supabase's transaction pooler (Supavisor, port 6543, which Supabase recommends for
  // edge functions) cannot keep named prepared statements across transactions. postgres.js then sends each
  // statement with parameters as Parse/Describe and waits for the answer before it binds: two round trips.
  return postgres(url, { prepare: false, max: 5, idle_timeout: 20, connect_timeout: 10, onnotice: () => {} });
}

/**
 * Sets the caller's claims and role in one statement, as PostgREST does:
 * set_config('role', ..., true) is SET LOCAL ROLE, with the same membership check.
 */
function becomeRole(tx: postgres.TransactionSql, role: Role, claims: Record<string, unknown>) {
  return tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('role', ${role}, true)`;
}

export async function asRole<T>(
  sql: Sql,
  role: Role,
  claims: Record<string, unknown>,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return (await sql.begin(async (tx) => {
    await becomeRole(tx, role, claims);
    return await fn(tx);
  })) as T;
}

const ROLES: readonly Role[] = ["authenticated", "service_role"];
// PostgreSQL's text holds neither a NUL nor half a UTF-16 surrogate pair.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `text` as an SQL expression, whatever it holds (quotes, backslashes, unicode): the literal carries only its
 * UTF-8 bytes in base64, whose alphabet (A-Z a-z 0-9 + / =) has no character that can end a string literal, and
 * PostgreSQL decodes them. A NUL or a lone surrogate, which PostgreSQL's text cannot hold, is refused here,
 * before any SQL is sent.
 */
export function textLiteral(text: string): string {
  if (text.includes("\0") || LONE_SURROGATE.test(text)) {
    throw new RangeError("PostgreSQL's text cannot hold a NUL or a lone surrogate");
  }
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return `convert_from(decode('${btoa(binary)}', 'base64'), 'UTF8')`;
}

/** Whether PostgreSQL's jsonb (which auth.uid() reads the claims as) refuses a JSON value: a NUL or a lone surrogate. */
export function jsonbCannotHold(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\0") || LONE_SURROGATE.test(value);
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([key, inner]) => jsonbCannotHold(key) || jsonbCannotHold(inner));
}

/** A UUID as an SQL literal; anything but a lowercase UUID is refused before any SQL is sent. */
export function uuidLiteral(id: string): string {
  if (!UUID.test(id)) throw new RangeError("not a lowercase UUID");
  return `'${id}'::uuid`;
}

/**
 * One statement as the caller, in ONE exchange with PostgreSQL: the claims, the role and the statement go as a
 * single simple-protocol query, which PostgreSQL runs as one implicit transaction (all or nothing, no begin or
 * commit to wait for) and analyses statement by statement, so the statement is planned and its permissions and
 * row-level security checked as the role just set, exactly as in asRole. Values go in as literals from
 * textLiteral and uuidLiteral only (postgres.js's parameters cost a second round trip without prepared
 * statements). Resolves to the statement's rows.
 */
export async function asRoleInOneExchange<T extends object>(
  sql: Sql,
  role: Role,
  claims: Record<string, unknown>,
  statement: string,
): Promise<T[]> {
  if (!ROLES.includes(role)) throw new RangeError(`no such role: ${String(role)}`);
  const setup =
    `select set_config('request.jwt.claims', ${textLiteral(JSON.stringify(claims))}, true), ` +
    `set_config('role', '${role}', true)`;
  const [, rows] = (await sql.unsafe(`${setup};\n${statement}`)) as unknown as [unknown, T[]];
  return rows;
}
