// livekit-token's conversation with PostgreSQL, seen on the wire: the real
// Deno function reaches the real database through a TCP relay in this test
// that counts exchanges (each time the function writes after PostgreSQL has
// answered) and keeps what the function sent. One token is one exchange, and
// whatever a caller puts in its claims or body reaches PostgreSQL only as data.
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import type postgres from "postgres";
import { TokenVerifier } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import {
  makeProjectKeys,
  type ProjectKeys,
  type RunningFunction,
  startTokenFunctionFor,
} from "../../local/edgeFunctions";
import { createTour, type TourFixture } from "../../local/roles";

const LIVEKIT = {
  url: "wss://live.test.roamcast",
  apiKey: "APIexchangesTest",
  apiSecret: "exchanges-test-secret-0123456789abcdefghijk",
};

/** A relay to PostgreSQL that counts the client's turns and keeps its bytes. */
interface Relay {
  port: number;
  exchanges: number;
  sent: Buffer[];
  readonly sockets: Set<Socket>;
  server?: Server;
}

async function startRelay(targetPort: number): Promise<Relay> {
  const relay: Relay = { port: 0, exchanges: 0, sent: [], sockets: new Set<Socket>() };
  const server = createServer((client) => {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    let answered = true; // the client speaks first
    for (const s of [client, upstream]) {
      relay.sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => (client.destroy(), upstream.destroy()));
    }
    client.on("data", (chunk) => {
      if (answered) relay.exchanges++;
      answered = false;
      relay.sent.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      answered = true;
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  relay.server = server;
  relay.port = (server.address() as { port: number }).port;
  return relay;
}

/** The base64 literals in what was sent, decoded: what PostgreSQL received as text. */
function decodedLiterals(sent: readonly Buffer[]): string[] {
  const text = Buffer.concat(sent).toString("latin1");
  return [...text.matchAll(/decode\('([A-Za-z0-9+/=]*)', 'base64'\)/g)].map((m) =>
    Buffer.from(m[1]!, "base64").toString("utf8"),
  );
}

describe("livekit-token on the wire", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let keys: ProjectKeys;
  let relay: Relay;
  let fn: RunningFunction;
  let tour: TourFixture;

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
    tour = await createTour(admin, { listeners: 3, label: "exchanges" });
    keys = await makeProjectKeys();
    relay = await startRelay(Number(new URL(db.postgresUrl).port));
    const url = new URL(db.postgresUrl);
    url.port = String(relay.port);
    fn = await startTokenFunctionFor(keys, url.toString(), LIVEKIT);
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    for (const s of relay?.sockets ?? []) s.destroy();
    relay?.server?.close();
    await db?.stop();
  });

  async function ask(claims: Record<string, unknown>, body: string) {
    const res = await fetch(fn.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await keys.sign(claims)}` },
      body,
    });
    return { status: res.status, body: (await res.json()) as { token?: string; error?: { code: string } } };
  }
  const tourBody = () => JSON.stringify({ tour_id: tour.tourId });
  /** A request's exchanges with PostgreSQL and what it sent, on connections already open. */
  async function watched(claims: Record<string, unknown>, body: string) {
    relay.exchanges = 0;
    relay.sent = [];
    const answer = await ask(claims, body);
    return { ...answer, exchanges: relay.exchanges, sent: relay.sent };
  }
  const tourCount = async () => (await admin<{ n: number }[]>`select count(*)::int as n from public.tours`)[0]!.n;

  it("mints a token in one exchange with PostgreSQL (was six: begin, claims and role, the join, commit)", async () => {
    // The first request opens the pool's connection (start-up and password exchanges); then the pool is warm.
    expect((await ask({ sub: tour.listeners[0] }, tourBody())).status).toBe(200);
    for (const sub of [...tour.listeners, tour.guide]) {
      const seen = await watched({ sub }, tourBody());
      expect(seen.status).toBe(200);
      expect(seen.exchanges).toBe(1);
    }
  });

  it("sends hostile claims to PostgreSQL as data only: the token is minted and the claims arrive byte for byte", async () => {
    const before = await tourCount();
    const hostile = [
      "'); drop table public.tours; --",
      "\\'; select pg_sleep(10); --",
      "$$; delete from public.tours; $$",
      "back\\slash \\\\ and \\x27 and E'\\''",
      "ünïcödé ✓ 🚀 עברית \u202e \u0301",
      "', 'service_role', true), set_config('role', 'postgres', true); --",
    ];
    const verifier = new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret);
    for (const value of hostile) {
      const claims = {
        sub: tour.listeners[1],
        email: value,
        user_metadata: { [value]: value, name: value },
        app_metadata: { provider: value },
      };
      const seen = await watched(claims, tourBody());
      expect(seen.status, value).toBe(200);
      expect((await verifier.verify(seen.body.token!)).sub).toBe(tour.listeners[1]);
      expect(seen.exchanges).toBe(1);
      const [received] = decodedLiterals(seen.sent);
      expect(JSON.parse(received!)).toMatchObject({ email: value, user_metadata: { [value]: value, name: value } });
    }
    expect(await tourCount()).toBe(before);
  });

  it("refuses a claim PostgreSQL cannot hold (NUL, lone surrogate) with a 401, sending nothing", async () => {
    for (const value of ["nul \u0000 here", "half \ud800 pair", "other half \udc00"]) {
      const seen = await watched({ sub: tour.listeners[2], user_metadata: { name: value } }, tourBody());
      expect(seen.status, JSON.stringify(value)).toBe(401);
      expect(seen.body.error?.code).toBe("invalid_token");
      expect(seen.exchanges).toBe(0);
    }
  });

  it("refuses a hostile tour_id with a 400, sending nothing", async () => {
    const before = await tourCount();
    for (const tourId of [
      `${tour.tourId}'; drop table public.tours; --`,
      `${tour.tourId}'::uuid) j; select 1; --`,
      "00000000-0000-0000-0000-00000000000'",
      `${tour.tourId}\u0000`,
      ["a", "b"],
    ]) {
      const seen = await watched({ sub: tour.listeners[2] }, JSON.stringify({ tour_id: tourId }));
      expect(seen.status, JSON.stringify(tourId)).toBe(400);
      expect(seen.body.error?.code).toBe("invalid_tour_id");
      expect(seen.exchanges).toBe(0);
    }
    expect(await tourCount()).toBe(before);
  });
});
