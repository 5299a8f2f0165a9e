// functions/livekit-token/livekitJwt.ts: LiveKit tokens signed with a key
// imported once must be the SDK's AccessToken.toJwt tokens, byte for byte, and
// verify with their own secret only.
import { AccessToken, RoomConfiguration, TokenVerifier } from "livekit-server-sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLivekitMinter } from "../../functions/livekit-token/livekitJwt";
import { grantsFor, type TourRole, tourRoomMetadata } from "../../functions/livekit-token/grants";

const KEY = "APIlivekitJwt";
const SECRET = "livekit-jwt-secret-0123456789abcdefghijklmn";
const USER = "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
const ROOM = "tour-6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d";
const ENDS = new Date("2026-12-01T18:30:00.000Z");

function sdkToken(role: TourRole, ttl: number, secret = SECRET): Promise<string> {
  const token = new AccessToken(KEY, secret, { identity: USER, ttl });
  token.addGrant(grantsFor(role, ROOM));
  token.roomConfig = new RoomConfiguration({ metadata: tourRoomMetadata(ENDS) });
  return token.toJwt();
}

function grants(role: TourRole) {
  return { video: grantsFor(role, ROOM), roomConfig: new RoomConfiguration({ metadata: tourRoomMetadata(ENDS) }) };
}

describe("createLivekitMinter", () => {
  afterEach(() => vi.useRealTimers());

  it.each(["guide", "listener"] as const)(
    "writes the SDK's AccessToken.toJwt token byte for byte, for a %s",
    async (role) => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date("2026-12-01T09:15:42.500Z"));
      const mint = createLivekitMinter(KEY, SECRET);
      const ours = await mint({ identity: USER, ttlSeconds: 5400, grants: grants(role) });
      expect(ours).toBe(await sdkToken(role, 5400));
      // A second token from the same imported key is as good as the first.
      expect(await mint({ identity: USER, ttlSeconds: 60, grants: grants(role) })).toBe(await sdkToken(role, 60));
    },
  );

  it("signs with the secret it was made with: after a secret changes, only the new one verifies", async () => {
    const rotated = "livekit-jwt-rotated-secret-0123456789abcdefgh";
    const before = await createLivekitMinter(
      KEY,
      SECRET,
    )({ identity: USER, ttlSeconds: 600, grants: grants("listener") });
    const after = await createLivekitMinter(
      KEY,
      rotated,
    )({ identity: USER, ttlSeconds: 600, grants: grants("listener") });
    expect((await new TokenVerifier(KEY, SECRET).verify(before)).sub).toBe(USER);
    expect((await new TokenVerifier(KEY, rotated).verify(after)).video?.room).toBe(ROOM);
    await expect(new TokenVerifier(KEY, rotated).verify(before)).rejects.toThrow(/signature/);
    await expect(new TokenVerifier(KEY, SECRET).verify(after)).rejects.toThrow(/signature/);
  });

  it("writes a token that expires after its ttl, like any other", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-01T09:00:00.000Z"));
    const token = await createLivekitMinter(KEY, SECRET)({ identity: USER, ttlSeconds: 60, grants: grants("guide") });
    vi.setSystemTime(new Date("2026-12-01T09:02:00.000Z"));
    await expect(new TokenVerifier(KEY, SECRET).verify(token, 0)).rejects.toThrow(/"exp" claim timestamp check failed/);
  });

  it("refuses to mint without a key, a secret or an identity, naming what is missing", async () => {
    expect(() => createLivekitMinter(KEY, "")).toThrow("the LiveKit API key and secret must both be set");
    const mint = createLivekitMinter(KEY, SECRET);
    await expect(mint({ identity: "", ttlSeconds: 60, grants: grants("listener") })).rejects.toThrow(
      /needs an identity/,
    );
  });
});
