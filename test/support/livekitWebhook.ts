// LiveKit's webhook signature, as livekit-server's notifier and the SDK's
// WebhookReceiver use it: the Authorization header is a JWT signed with the
// API secret that carries the base64 sha256 of the exact body.
import { AccessToken } from "livekit-server-sdk";
import { createHash } from "node:crypto";
import type postgres from "postgres";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { type RunningFunction, startFunction } from "../../local/edgeFunctions";
import { asActorCommitted, createTour, type TourFixture } from "../../local/roles";

export async function signWebhook(body: string, key: string, secret: string): Promise<string> {
  const token = new AccessToken(key, secret);
  token.sha256 = createHash("sha256").update(body).digest("base64");
  return token.toJwt();
}

/** POSTs a body as LiveKit does; the answer is always JSON, so it is parsed. */
export async function postWebhook(
  url: string,
  body: string,
  authorization?: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/webhook+json", ...(authorization ? { authorization } : {}) },
    body,
  });
  return { status: res.status, body: await res.json() };
}

/** A migrated database with one tour whose guide has opened its room, and the webhook function on it. */
export interface WebhookFixture {
  readonly db: TestDatabase;
  readonly admin: postgres.Sql;
  readonly tour: TourFixture;
  /** The LiveKit room name of the tour. */
  readonly room: string;
  readonly fn: RunningFunction;
}

export async function startWebhookFixture(options: {
  key: string;
  secret: string;
  listeners: number;
  label: string;
}): Promise<WebhookFixture> {
  const db = await startMigratedDatabase();
  const admin = db.admin();
  const tour = await createTour(admin, { listeners: options.listeners, label: options.label });
  const [joined] = await asActorCommitted(
    admin,
    { kind: "user", id: tour.guide },
    (tx) => tx`select * from private.join_tour_room(${tour.tourId})`,
  );
  const fn = await startFunction("livekit-webhook", {
    SUPABASE_DB_URL: db.postgresUrl,
    LIVEKIT_API_KEY: options.key,
    LIVEKIT_API_SECRET: options.secret,
  });
  return { db, admin, tour, room: joined!.room_name, fn };
}
