// A signed webhook body, checked before anything reaches the database: a body
// that is not a LiveKit event is a 400, an event whose values the tables
// cannot hold is a 422. Both are final answers: LiveKit retries only a 5xx.
import { WebhookEvent } from "livekit-server-sdk";
import { HttpError } from "../_shared/http.ts";

export interface LivekitEvent {
  readonly id: string;
  readonly type: string;
  readonly room: string | null;
  readonly identity: string | null;
  readonly createdAt: Date;
}

/**
 * The longest id, room name or identity kept. Roamcast's own are short (room
 * `tour-<uuid>`, 41; identity a user's UUID, 36; LiveKit's event ids ~15), and
 * 256 characters (at most 1 KiB of UTF-8) keeps the two-column presence key
 * well under PostgreSQL's ~2.7 KB limit for a B-tree index entry.
 */
export const MAX_TEXT_LENGTH = 256;
/** 9999-12-31T23:59:59Z: PostgreSQL and JavaScript both read four-digit years alike. */
const LAST_SECOND = 253_402_300_799n;

/** Parses the body as LiveKit's WebhookEvent (the SDK's own reader), or a 400 saying what is wrong. */
export function parseWebhookEvent(body: string): WebhookEvent {
  let json: Parameters<typeof WebhookEvent.fromJson>[0];
  try {
    json = JSON.parse(body);
  } catch {
    throw new HttpError(400, "invalid_json", "the signed body is not JSON");
  }
  let event: WebhookEvent;
  try {
    event = WebhookEvent.fromJson(json, { ignoreUnknownFields: true });
  } catch (error) {
    // protobuf names the field and the value; values can be long, so cut it short.
    const why = (error as Error).message.slice(0, 300);
    throw new HttpError(400, "invalid_event", `the signed body is not a LiveKit webhook event: ${why}`);
  }
  if (!event.id || !event.event) throw new HttpError(400, "invalid_event", "the event has no id or type");
  return event;
}

/** The values the database keeps, each checked against what its column and index can hold. */
export function storableEvent(event: WebhookEvent, now: Date): LivekitEvent {
  const text = (field: string, value: string | undefined): string | null => {
    if (value === undefined || value === "") return null;
    if (value.length > MAX_TEXT_LENGTH) {
      throw unprocessable(`${field} is ${value.length} characters long; at most ${MAX_TEXT_LENGTH} are kept`);
    }
    return value;
  };
  return {
    id: text("id", event.id)!,
    type: event.event,
    room: text("room.name", event.room?.name),
    identity: text("participant.identity", event.participant?.identity),
    createdAt: eventTime(event.createdAt, now),
  };
}

/** LiveKit's createdAt is whole seconds since 1970; 0 (unset) means now. */
function eventTime(seconds: bigint, now: Date): Date {
  if (seconds === 0n) return now;
  if (seconds < 0n || seconds > LAST_SECOND) {
    throw unprocessable(`createdAt must be seconds since 1970 before the year 10000; got ${seconds}`);
  }
  return new Date(Number(seconds) * 1000);
}

export function unprocessable(why: string): HttpError {
  return new HttpError(422, "unprocessable_event", `the event cannot be stored: ${why}`);
}
