// What each role may do in a tour's LiveKit room. Pure, so it is tested alone.
import { TrackSource, type VideoGrant } from "livekit-server-sdk";

export type TourRole = "guide" | "listener";

export function grantsFor(role: TourRole, room: string): VideoGrant {
  if (role === "guide") {
    return {
      room,
      roomJoin: true,
      roomAdmin: true,
      canPublish: true,
      canPublishSources: [TrackSource.MICROPHONE],
      canPublishData: false,
      canSubscribe: true,
      canUpdateOwnMetadata: false,
    };
  }
  return {
    room,
    roomJoin: true,
    canPublish: false,
    canPublishSources: [],
    canPublishData: false,
    canSubscribe: true,
    canUpdateOwnMetadata: false,
  };
}

/** Seconds the token lives: until access ends, never more than maxSeconds, at least one minute. */
export function tokenTtlSeconds(accessUntil: Date, now: Date, maxSeconds: number): number {
  const untilAccessEnds = Math.floor((accessUntil.getTime() - now.getTime()) / 1000);
  return Math.max(60, Math.min(untilAccessEnds, maxSeconds));
}

/**
 * The room's metadata: its tour's scheduled end, as JSON. The host's
 * active-tour guard (templates/tourGuard.ts, key tour_ends_at) reads it from
 * ListRooms to say when an occupied room's tour is due to end; the host cannot
 * see the database. Every participant can read room metadata: a tour's end is
 * no secret to the people on it.
 */
export function tourRoomMetadata(endsAt: Date): string {
  return JSON.stringify({ tour_ends_at: endsAt.toISOString() });
}
