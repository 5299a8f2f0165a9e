// LiveKit's webhook: verifies the signature (a JWT signed with the API secret
// that carries the body's sha256), then records the event once by its id and
// keeps livekit_rooms and tours.livekit_room_status true. Unsigned, forged or
// tampered calls are refused before anything is written.
import { WebhookReceiver } from "livekit-server-sdk";
import { asRole, type Sql } from "../_shared/database.ts";
import { errorResponse, HttpError, json, logLine, readBody, requirePost } from "../_shared/http.ts";

export const MAX_WEBHOOK_BYTES = 64 * 1024;
export const HANDLED_EVENTS = ["room_started", "room_finished", "participant_joined", "participant_left"] as const;

export interface WebhookHandlerDeps {
  readonly sql: Sql;
  readonly apiKey: string;
  readonly apiSecret: string;
}

export function createWebhookHandler(deps: WebhookHandlerDeps): (req: Request) => Promise<Response> {
  const receiver = new WebhookReceiver(deps.apiKey, deps.apiSecret);
  return async (req) => {
    try {
      requirePost(req);
      // The signature covers the exact bytes, so read the raw body first.
      const body = await readBody(req, MAX_WEBHOOK_BYTES);
      const auth = req.headers.get("authorization");
      if (!auth) throw new HttpError(401, "missing_signature", "LiveKit webhooks carry a signed Authorization header");
      let event;
      try {
        event = await receiver.receive(body, auth);
      } catch {
        throw new HttpError(401, "invalid_signature", "the webhook signature does not verify");
      }
      if (!event.id || !event.event) throw new HttpError(400, "invalid_event", "the event has no id or type");
      if (!(HANDLED_EVENTS as readonly string[]).includes(event.event)) {
        logLine({ fn: "livekit-webhook", status: 200, event: event.event, result: "ignored" });
        return json(200, { result: "ignored" });
      }
      const createdAt = new Date(Number(event.createdAt ?? 0n) * 1000 || Date.now());
      const result = await asRole(deps.sql, "service_role", { role: "service_role" }, async (tx) => {
        const [row] = await tx`select private.apply_livekit_event(
          ${event.id}, ${event.event}, ${event.room?.name ?? null}, ${event.participant?.identity ?? null}, ${createdAt}
        ) as result`;
        return row!.result as string;
      });
      logLine({ fn: "livekit-webhook", status: 200, event: event.event, room: event.room?.name, result });
      return json(200, { result });
    } catch (error) {
      if (error instanceof HttpError) {
        logLine({ fn: "livekit-webhook", status: error.status, code: error.code });
        return errorResponse(error);
      }
      if ((error as { code?: string }).code === "RT400") {
        logLine({ fn: "livekit-webhook", status: 400, code: "invalid_event" });
        return errorResponse(new HttpError(400, "invalid_event", (error as Error).message));
      }
      // LiveKit retries on failure, and the event id makes the retry safe.
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
