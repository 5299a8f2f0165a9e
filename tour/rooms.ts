// Leaving rooms without hanging. rtc-node's Room.disconnect() waits for the
// native side's answer with no time limit, and when the server is closing the
// room at the same moment (the tour just ended) that answer can never come: a
// teardown hung this way for minutes. Rooms are left in parallel, each given
// a bounded time; what does not answer is reported, not waited for.
import { dispose, type Room } from "@livekit/rtc-node";
import { settlesWithin } from "./time";

/** Disconnects every room still connected; resolves with how many did not answer within ms. */
export async function leaveRooms(rooms: readonly Room[], ms = 5_000): Promise<number> {
  const answered = await Promise.all(rooms.filter((r) => r.isConnected).map((r) => settlesWithin(ms, r.disconnect())));
  return answered.filter((ok) => !ok).length;
}

/** Releases the native client library; false if it did not finish within ms. */
export function disposeClients(ms = 10_000): Promise<boolean> {
  return settlesWithin(ms, dispose());
}
