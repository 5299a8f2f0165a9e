// LiveKit's webhook: verifies the signature (a JWT signed with the API secret
// that carries the body's sha256), then records the event once by its id and
// keeps livekit_rooms and tours.livekit_room_status true. Unsigned, forged or
// tampered calls are refused before anything is written; so is a signed body
// that is not an event, or an event the tables cannot hold (event.ts).
import { TokenVerifier } from "livekit-server-sdk";
import { asRole, type Sql } from "../_shared/database.ts";
import { errorResponse, HttpError, json, logLine, readBody, requirePost } from "../_shared/http.ts";
import { type LivekitEvent, parseWebhookEvent, storableEvent, unprocessable } from "./event.ts";

export const MAX_WEBHOOK_BYTES = 64 * 1024;
export const HANDLED_EVENTS = ["room_started", "room_finished", "participant_joined", "participant_left"] as const;

export interface WebhookHandlerDeps {
  readonly sql: Sql;
  readonly apiKey: string;
  readonly apiSecret: string;
}

export function createWebhookHandler(deps: WebhookHandlerDeps): (req: Request) => Promise<Response> {
  const verifier = new TokenVerifier(deps.apiKey, deps.apiSecret);
  return async (req) => {
    try {
      requirePost(req);
      // The signature covers the exact bytes, so read the raw body first.
      const body = await readBody(req, MAX_WEBHOOK_BYTES);
      await verifySignature(verifier, body, req.headers.get("authorization"));
      const event = parseWebhookEvent(body);
      if (!(HANDLED_EVENTS as readonly string[]).includes(event.event)) {
        logLine({ fn: "livekit-webhook", status: 200, event: event.event, result: "ignored" });
        return json(200, { result: "ignored" });
      }
      const result = await applyEvent(deps.sql, storableEvent(event, new Date()));
      logLine({ fn: "livekit-webhook", status: 200, event: event.event, room: event.room?.name, result });
      return json(200, { result });
    } catch (error) {
      if (error instanceof HttpError) {
        logLine({ fn: "livekit-webhook", status: error.status, code: error.code });
        return errorResponse(error);
      }
      // Only the database being unreachable or failing gets here. LiveKit
      // retries a 5xx, and the event id makes the retry safe.
      logLine({
        fn: "livekit-webhook",
        status: 503,
        code: "unavailable",
        cause: (error as { code?: string }).code ?? (error as Error).name,
      });
      return json(503, { error: { code: "unavailable", message: "try again" } });
    }
  };
}

/** As the SDK's WebhookReceiver checks it, without its JSON parsing: a bad body is not a bad signature. */
async function verifySignature(verifier: TokenVerifier, body: string, authorization: string | null): Promise<void> {
  if (!authorization) {
    throw new HttpError(401, "missing_signature", "LiveKit webhooks carry a signed Authorization header");
  }
  let signed: string | undefined;
  try {
    signed = (await verifier.verify(authorization)).sha256;
  } catch {
    signed = undefined;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  if (!signed || signed !== btoa(String.fromCharCode(...digest))) {
    throw new HttpError(401, "invalid_signature", "the webhook signature does not verify");
  }
}

/**
 * SQLSTATE class 22 (data exception: a NUL in text is 22021, a bad number or
 * date 22P02/22007/22008, too long 22001) and 54000 (an index entry too large)
 * come from the event's values: retrying cannot help, so they are a 422.
 */
const UNSTORABLE = /^(22[0-9A-Z]{3}|54000)$/;

async function applyEvent(sql: Sql, event: LivekitEvent): Promise<string> {
  try {
    return await asRole(sql, "service_role", { role: "service_role" }, async (tx) => {
      const [row] = await tx`select private.apply_livekit_event(
        ${event.id}, ${event.type}, ${event.room}, ${event.identity}, ${event.createdAt}
      ) as result`;
      return row!.result as string;
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (code === "RT400") throw new HttpError(400, "invalid_event", (error as Error).message);
    if (UNSTORABLE.test(code)) {
      throw unprocessable(
        `the database cannot store one of its values (${(error as Error).message}); check id, room.name and participant.identity`,
      );
    }
    throw error;
  }
}
