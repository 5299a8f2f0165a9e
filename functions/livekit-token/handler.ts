// POST {"tour_id": "<uuid>"} with the user's bearer JWT → a LiveKit token for
// the tour's room, as guide (publish microphone, administer the room) or
// listener (subscribe only). Every refusal is a JSON error with a stable code.
import { RoomConfiguration } from "livekit-server-sdk";
import { asRoleInOneExchange, jsonbCannotHold, type Sql, uuidLiteral } from "../_shared/database.ts";
import { errorResponse, HttpError, json, logLine, preflight, readBody, requirePost } from "../_shared/http.ts";
import { bearerToken, type UserClaims } from "../_shared/supabaseJwt.ts";
import { nodeForRoom, parseNodeUrls } from "./nodes.ts";
import { grantsFor, type TourRole, tokenTtlSeconds, tourRoomMetadata } from "./grants.ts";
import { createLivekitMinter } from "./livekitJwt.ts";

export const MAX_BODY_BYTES = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TokenHandlerDeps {
  readonly verifyJwt: (token: string) => Promise<UserClaims>;
  readonly sql: Sql;
  /** `url`: one node's URL, or every node's, comma-separated (nodes.ts). */
  readonly livekit: { readonly url: string; readonly apiKey: string; readonly apiSecret: string };
  readonly maxTokenSeconds: number;
  readonly now?: () => Date;
}

const REFUSALS: Record<string, [number, string]> = {
  RT400: [400, "invalid_tour_id"],
  RT401: [401, "not_signed_in"],
  RT403: [403, "not_on_tour"],
  RT404: [404, "tour_not_found"],
  RT410: [410, "tour_ended"],
};

export function parseTourRequest(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, "invalid_json", 'the body must be JSON: {"tour_id": "<uuid>"}');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_body", 'the body must be a JSON object: {"tour_id": "<uuid>"}');
  }
  const tourId = (parsed as Record<string, unknown>).tour_id;
  if (typeof tourId !== "string" || !UUID.test(tourId)) {
    throw new HttpError(400, "invalid_tour_id", "tour_id must be a UUID string");
  }
  return tourId.toLowerCase();
}

export function createTokenHandler(deps: TokenHandlerDeps): (req: Request) => Promise<Response> {
  const now = deps.now ?? (() => new Date());
  const nodeUrls = parseNodeUrls(deps.livekit.url);
  const mint = createLivekitMinter(deps.livekit.apiKey, deps.livekit.apiSecret);
  return async (req) => {
    const started = Date.now();
    if (req.method === "OPTIONS") return preflight();
    let user: string | undefined;
    try {
      requirePost(req);
      const claims = await deps.verifyJwt(bearerToken(req));
      user = claims.sub;
      const tourId = parseTourRequest(await readBody(req, MAX_BODY_BYTES));
      const joined = await joinTourRoom(deps.sql, claims, tourId);
      const ttl = tokenTtlSeconds(joined.access_until, now(), deps.maxTokenSeconds);
      const jwt = await mint({
        identity: claims.sub,
        ttlSeconds: ttl,
        grants: {
          video: grantsFor(joined.participant_role, joined.room_name),
          // LiveKit sets the room's metadata from this on each join (the room's tour end, for the host's guard).
          roomConfig: new RoomConfiguration({ metadata: tourRoomMetadata(joined.ends_at) }),
        },
      });
      const expiresAt = new Date(now().getTime() + ttl * 1000).toISOString();
      logLine({
        fn: "livekit-token",
        status: 200,
        user,
        role: joined.participant_role,
        room: joined.room_name,
        ms: Date.now() - started,
      });
      return json(200, {
        token: jwt,
        url: nodeForRoom(nodeUrls, joined.room_name),
        room: joined.room_name,
        role: joined.participant_role,
        expires_at: expiresAt,
      });
    } catch (error) {
      if (error instanceof HttpError) {
        logLine({ fn: "livekit-token", status: error.status, code: error.code, user, ms: Date.now() - started });
        return errorResponse(error);
      }
      logLine({
        fn: "livekit-token",
        status: 503,
        code: "unavailable",
        user,
        cause: (error as { code?: string }).code ?? (error as Error).name,
      });
      return json(503, {
        error: { code: "unavailable", message: "the tour service is unavailable; try again shortly" },
      });
    }
  };
}

interface Joined {
  room_name: string;
  participant_role: TourRole;
  access_until: Date;
  ends_at: Date;
}

async function joinTourRoom(sql: Sql, claims: UserClaims, tourId: string): Promise<Joined> {
  if (jsonbCannotHold(claims)) {
    throw new HttpError(401, "invalid_token", "the access token is not valid: a claim holds a NUL or a lone surrogate");
  }
  try {
    // One exchange with PostgreSQL (database.ts). The tour's end is read as the user, after the function ran:
    // the tours policy lets a tour's guide and participants read it. tourId is a UUID (parseTourRequest).
    const tour = uuidLiteral(tourId);
    const [joined] = await asRoleInOneExchange<Joined>(
      sql,
      "authenticated",
      claims,
      `select j.room_name, j.participant_role, j.access_until,
              (select t.ends_at from public.tours t where t.id = ${tour}) as ends_at
         from private.join_tour_room(${tour}) j`,
    );
    return joined!;
  } catch (error) {
    const refusal = REFUSALS[(error as { code?: string }).code ?? ""];
    if (refusal) throw new HttpError(refusal[0], refusal[1], (error as Error).message);
    throw error;
  }
}
