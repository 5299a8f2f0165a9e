// Acting as a Supabase API role inside one transaction, exactly as PostgREST
// does: request.jwt.claims set transaction-locally, then SET LOCAL ROLE.
import { randomUUID } from "node:crypto";
import type postgres from "postgres";

export type Actor =
  { readonly kind: "user"; readonly id: string } | { readonly kind: "anon" } | { readonly kind: "service_role" };

function claimsOf(actor: Actor): Record<string, unknown> {
  if (actor.kind === "user") return { sub: actor.id, role: "authenticated", aud: "authenticated" };
  return { role: actor.kind };
}

/** Runs fn as the actor, then rolls everything back. */
export async function asActor<T>(
  sql: postgres.Sql,
  actor: Actor,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  const rollback = new Error("rollback");
  let result: T | undefined;
  try {
    await asClaims(sql, claimsOf(actor), async (tx) => {
      result = await fn(tx);
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return result as T;
}

/** Same, but commits: for calls whose effects the test then inspects. */
export async function asActorCommitted<T>(
  sql: postgres.Sql,
  actor: Actor,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return asClaims(sql, claimsOf(actor), fn);
}

/** Runs fn under a verified JWT's claims, committing, as PostgREST serves a request. */
export async function asClaims<T>(
  sql: postgres.Sql,
  claims: Record<string, unknown>,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  const role = claims.role === "authenticated" || claims.role === "service_role" ? claims.role : "anon";
  return sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    await tx.unsafe(`set local role ${role}`);
    return fn(tx);
  }) as Promise<T>;
}

export async function createUser(admin: postgres.Sql, email: string): Promise<string> {
  const id = randomUUID();
  await admin`insert into auth.users (id, email, aud, role) values (${id}, ${email}, 'authenticated', 'authenticated')`;
  return id;
}

export interface TourFixture {
  readonly tourId: string;
  readonly guide: string;
  readonly listeners: string[];
  readonly outsider: string;
}

/** A tour with its guide and listeners, written as the service role would. */
export async function createTour(
  admin: postgres.Sql,
  opts: { listeners?: number; startsInMinutes?: number; hours?: number; label?: string } = {},
): Promise<TourFixture> {
  const label = opts.label ?? randomUUID().slice(0, 8);
  const guide = await createUser(admin, `guide-${label}@test.roamcast`);
  const outsider = await createUser(admin, `outsider-${label}@test.roamcast`);
  const listeners: string[] = [];
  for (let i = 0; i < (opts.listeners ?? 1); i++)
    listeners.push(await createUser(admin, `listener-${i}-${label}@test.roamcast`));
  const starts = opts.startsInMinutes ?? -10;
  const hours = opts.hours ?? 3;
  const [tour] = await admin`
    insert into public.tours (guide_id, title, starts_at, ends_at)
    values (${guide}, ${`Old town walk ${label}`}, now() + make_interval(mins => ${starts}), now() + make_interval(mins => ${starts}) + make_interval(hours => ${hours}))
    returning id`;
  for (const l of listeners)
    await admin`insert into public.tour_participants (tour_id, user_id) values (${tour!.id}, ${l})`;
  return { tourId: tour!.id as string, guide, listeners, outsider };
}
