// Which LiveKit node a tour's phones signal to. With several nodes LiveKit
// relays signalling to the room's node over Redis, so any node would do, but
// each node's Caddy holds certificates for its own names only, and one tour
// on one signalling node keeps a node's failure to its own tours. So
// LIVEKIT_URL lists every node's URL (comma-separated; one URL with one node,
// as always) and each room gets one of them by rendezvous hashing of the room
// name: the same node for every phone of a tour, for every call, and when a
// node is added or removed only the rooms on that node move.
// (LiveKit's own node selector still chooses where a new room's media lives.)

/** The node URLs in LIVEKIT_URL; throws naming the variable when one is not ws:// or wss://. */
export function parseNodeUrls(value: string): string[] {
  const urls = value
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new Error("LIVEKIT_URL is empty; set it to the LiveKit node URLs, comma-separated");
  for (const url of urls)
    if (!/^wss?:\/\/[^\s,/]+(\/\S*)?$/.test(url))
      throw new Error(`LIVEKIT_URL holds "${url}", which is not a ws:// or wss:// URL; list the nodes comma-separated`);
  if (new Set(urls).size !== urls.length) throw new Error("LIVEKIT_URL lists a node twice; list each node once");
  return urls;
}

/** 32-bit FNV-1a, then murmur3's finaliser so that near-equal inputs spread. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The node with the highest weight for this room (highest random weight hashing); ties go to the earlier URL. */
export function nodeForRoom(urls: readonly string[], room: string): string {
  let best = urls[0]!;
  let bestWeight = -1;
  for (const url of urls) {
    const weight = hash32(`${url}\n${room}`);
    if (weight > bestWeight) [best, bestWeight] = [url, weight];
  }
  return best;
}
