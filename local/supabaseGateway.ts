// A stand-in for the three doors of a Supabase project that the smoke run
// knocks on, so the smoke script (with the real supabase-js) can be run
// against the local platform. GoTrue and PostgREST cannot run on this
// machine; this covers exactly what the script uses, nothing more:
//   POST /auth/v1/token?grant_type=password   password sign-in (passwords held here)
//   POST /functions/v1/<name>                 passed through to the Deno function, as Supabase's gateway does
//   GET  /rest/v1/<table>?select=a,b&c=eq.v   a select as the signed-in user, under the database's real RLS
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, jwtVerify } from "jose";
import type postgres from "postgres";
import type { ProjectKeys } from "./edgeFunctions";
import { asClaims } from "./roles";

export interface SupabaseGateway {
  readonly url: string;
  /** Lets the user with this e-mail (in auth.users) sign in with this password. */
  setPassword(email: string, password: string): void;
  /** Requests seen, by path, for assertions ("the script went through the function door"). */
  readonly seen: string[];
  stop(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, payload: unknown) {
  res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
  res.end(JSON.stringify(payload));
}

export interface GatewayOptions {
  readonly keys: ProjectKeys;
  readonly admin: postgres.Sql;
  /** Function name -> URL of the running Deno function. */
  readonly functions: Readonly<Record<string, string>>;
}

interface Gateway {
  readonly opts: GatewayOptions;
  readonly passwords: Map<string, string>;
  readonly jwks: ReturnType<typeof createLocalJWKSet>;
}

async function signIn({ opts, passwords }: Gateway, req: IncomingMessage, res: ServerResponse) {
  const { email, password } = JSON.parse((await body(req)).toString() || "{}") as {
    email?: string;
    password?: string;
  };
  const [user] = email ? await opts.admin`select id, email from auth.users where email = ${email}` : [];
  if (!user || passwords.get(email!) !== password) {
    return reply(res, 400, { code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" });
  }
  const expiresIn = 3600;
  const accessToken = await opts.keys.sign(
    { sub: user.id, email, aud: "authenticated" },
    { expiresIn: `${expiresIn}s` },
  );
  reply(res, 200, {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: expiresIn,
    expires_at: Math.floor(Date.now() / 1000) + expiresIn,
    refresh_token: "stand-in-refresh-token",
    user: {
      id: user.id,
      aud: "authenticated",
      role: "authenticated",
      email,
      app_metadata: {},
      user_metadata: {},
      created_at: new Date().toISOString(),
    },
  });
}

async function callFunction({ opts }: Gateway, name: string, req: IncomingMessage, res: ServerResponse) {
  const target = opts.functions[name];
  if (!target) return reply(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
  const headers: Record<string, string> = {};
  for (const h of ["authorization", "content-type", "apikey", "x-client-info"]) {
    const v = req.headers[h];
    if (typeof v === "string") headers[h] = v;
  }
  const upstream = await fetch(target, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : await body(req),
  });
  res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
  res.end(Buffer.from(await upstream.arrayBuffer()));
}

async function select({ opts, jwks }: Gateway, table: string, url: URL, req: IncomingMessage, res: ServerResponse) {
  const bearer = req.headers.authorization?.replace(/^Bearer /i, "") ?? "";
  let claims: Record<string, unknown>;
  try {
    claims = (await jwtVerify(bearer, jwks)).payload as Record<string, unknown>;
  } catch {
    return reply(res, 401, { code: "PGRST301", message: "JWT could not be verified" });
  }
  const columns = (url.searchParams.get("select") ?? "*").split(",").map((c) => c.trim());
  const filters = [...url.searchParams.entries()].filter(([k]) => k !== "select");
  if (
    !IDENTIFIER.test(table) ||
    !columns.every((c) => c === "*" || IDENTIFIER.test(c)) ||
    !filters.every(([k, v]) => IDENTIFIER.test(k) && v.startsWith("eq."))
  ) {
    return reply(res, 400, {
      code: "STANDIN",
      message: "the stand-in gateway supports only select=cols and col=eq.value",
    });
  }
  const where = filters.map(([k], i) => `${k} = $${i + 1}`).join(" and ");
  const rows = await asClaims(opts.admin, claims, (tx) =>
    tx.unsafe(
      `select ${columns.join(", ")} from public.${table}${where ? ` where ${where}` : ""}`,
      filters.map(([, v]) => v.slice(3)),
    ),
  );
  reply(res, 200, rows);
}

function route(gateway: Gateway, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const fn = url.pathname.match(/^\/functions\/v1\/([\w-]+)$/);
  const rest = url.pathname.match(/^\/rest\/v1\/(\w+)$/);
  if (req.method === "POST" && url.pathname === "/auth/v1/token" && url.searchParams.get("grant_type") === "password")
    return signIn(gateway, req, res);
  if (fn) return callFunction(gateway, fn[1]!, req, res);
  if (rest && req.method === "GET") return select(gateway, rest[1]!, url, req, res);
  reply(res, 404, { message: `the stand-in gateway does not serve ${req.method} ${url.pathname}` });
  return Promise.resolve();
}

export async function startSupabaseGateway(opts: GatewayOptions): Promise<SupabaseGateway> {
  const gateway: Gateway = { opts, passwords: new Map(), jwks: createLocalJWKSet(JSON.parse(opts.keys.jwksJson)) };
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway");
    seen.push(`${req.method} ${url.pathname}`);
    const handled = route(gateway, req, res, url);
    handled.catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, { message: String(error) });
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setPassword: (email, password) => gateway.passwords.set(email, password),
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
