// A stand-in for LiveKit's RoomService on 127.0.0.1, for the unit tests of the
// apply script: it answers ListRooms and ListParticipants as livekit-server
// does (Twirp JSON), from rooms the test sets, and only to a bearer token
// signed with the test key that carries the grant livekit-server would demand.
// test/tools/tourGuard.test.ts runs the guard against the real server.
import { createServer, type Server } from "node:http";
import { TokenVerifier } from "livekit-server-sdk";
import { stringify } from "yaml";
import { freePort } from "../../local/processes";
import { writeTemp } from "../../local/temp";
import { TEST_SECRETS } from "./fixtures";

export interface FakeRoomService {
  readonly url: string;
  /** A livekit.yaml holding the test key, for the guard to read. */
  readonly configPath: string;
  /** Room name → participant count; the test changes it at will. */
  readonly rooms: Map<string, number>;
  /** Each Twirp method asked, in order. */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startFakeRoomService(): Promise<FakeRoomService> {
  const verifier = new TokenVerifier(TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret);
  const rooms = new Map<string, number>();
  const calls: string[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const method = req.url?.replace("/twirp/livekit.RoomService/", "") ?? "";
    calls.push(method);
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    try {
      const claims = await verifier.verify((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      const request = JSON.parse(body || "{}") as { room?: string };
      if (method === "ListRooms" && claims.video?.roomList)
        return reply(200, { rooms: [...rooms.keys()].map((name) => ({ name, metadata: "" })) });
      if (method === "ListParticipants" && claims.video?.roomAdmin && claims.video.room === request.room)
        return reply(200, {
          participants: Array.from({ length: rooms.get(request.room!) ?? 0 }, (_, i) => ({ identity: `p${i}` })),
        });
      return reply(401, { code: "unauthenticated", msg: "permissions denied" });
    } catch {
      return reply(401, { code: "unauthenticated", msg: "invalid token" });
    }
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    configPath: writeTemp(
      "livekit.yaml",
      stringify({ port: 7880, keys: { [TEST_SECRETS.apiKey]: TEST_SECRETS.apiSecret } }),
    ),
    rooms,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
