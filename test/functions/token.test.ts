// functions/livekit-token through its real Deno entry point, over HTTP on
// 127.0.0.1, against PostgreSQL with the migrations applied.
import { TokenVerifier } from "livekit-server-sdk";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { makeProjectKeys, type ProjectKeys, type RunningFunction, startFunction } from "../../local/edgeFunctions";
import { createTour, type TourFixture } from "../../local/roles";

const LIVEKIT = {
  url: "wss://live.test.roamcast",
  apiKey: "APItokenTest",
  apiSecret: "token-test-secret-0123456789abcdefghijklmnop",
};

describe("livekit-token", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let keys: ProjectKeys;
  let fn: RunningFunction;
  let tour: TourFixture;
  let ended: TourFixture;
  const issued: string[] = [];

  async function call(
    init: { method?: string; token?: string | null; body?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const res = await fetch(fn.url, { method: init.method ?? "POST", headers, body: init.body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }
  const userToken = async (sub: string) => {
    const t = await keys.sign({ sub });
    issued.push(t);
    return t;
  };
  const ask = async (sub: string, tourId: string) =>
    call({ token: await userToken(sub), body: JSON.stringify({ tour_id: tourId }) });

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
    tour = await createTour(admin, { listeners: 2, label: "token" });
    ended = await createTour(admin, { startsInMinutes: -400, hours: 3, label: "ended" });
    keys = await makeProjectKeys();
    fn = await startFunction("livekit-token", {
      SUPABASE_URL: keys.supabaseUrl,
      SUPABASE_JWKS: keys.jwksJson,
      LEGACY_JWT_SECRET: keys.legacySecret,
      SUPABASE_DB_URL: db.postgresUrl,
      LIVEKIT_URL: LIVEKIT.url,
      LIVEKIT_API_KEY: LIVEKIT.apiKey,
      LIVEKIT_API_SECRET: LIVEKIT.apiSecret,
      LIVEKIT_TOKEN_MAX_SECONDS: String(4 * 3600),
    });
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    await db?.stop();
  });

  it("gives the guide a token to publish the microphone, subscribe and administer its own room", async () => {
    const res = await ask(tour.guide, tour.tourId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ url: LIVEKIT.url, room: `tour-${tour.tourId}`, role: "guide" });
    const claims = await new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret).verify(res.body.token);
    expect(claims.sub).toBe(tour.guide);
    expect(claims.video).toMatchObject({
      room: `tour-${tour.tourId}`,
      roomJoin: true,
      roomAdmin: true,
      canPublish: true,
      canPublishSources: ["microphone"],
      canPublishData: false,
      canSubscribe: true,
    });
  });

  it("gives a listener a subscribe-only token: no audio, no data", async () => {
    const res = await ask(tour.listeners[0]!, tour.tourId);
    expect(res.status).toBe(200);
    expect(res.body.role).toBe("listener");
    const claims = await new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret).verify(res.body.token);
    expect(claims.sub).toBe(tour.listeners[0]);
    expect(claims.video).toMatchObject({
      room: `tour-${tour.tourId}`,
      roomJoin: true,
      canPublish: false,
      canPublishData: false,
      canSubscribe: true,
    });
    expect(claims.video?.roomAdmin).toBeFalsy();
    expect(claims.video?.canPublishSources ?? []).toEqual([]);
  });

  it("lets the token expire with the tour's access, never later than the cap", async () => {
    const res = await ask(tour.listeners[1]!, tour.tourId);
    const claims = await new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret).verify(res.body.token);
    const [row] = await admin`select ends_at from public.tours where id = ${tour.tourId}`;
    const accessEnds = Math.floor(row!.ends_at.getTime() / 1000) + 30 * 60;
    expect(claims.exp).toBeLessThanOrEqual(Math.min(accessEnds, Math.floor(Date.now() / 1000) + 4 * 3600) + 2);
    expect(claims.exp).toBeGreaterThan(accessEnds - 60);
    expect(Math.abs(new Date(res.body.expires_at).getTime() / 1000 - claims.exp!)).toBeLessThanOrEqual(2);
  });

  it("carries the tour's scheduled end into the room's metadata, for the host's active-tour guard", async () => {
    const res = await ask(tour.listeners[0]!, tour.tourId);
    const claims = await new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret).verify(res.body.token);
    const [row] = await admin`select ends_at from public.tours where id = ${tour.tourId}`;
    const metadata = JSON.parse((claims.roomConfig as { metadata?: string } | undefined)?.metadata ?? "{}");
    expect(metadata).toEqual({ tour_ends_at: row!.ends_at.toISOString() });
  });

  it("accepts the legacy HS256 secret where a project still uses it", async () => {
    const res = await call({
      token: await keys.signLegacy({ sub: tour.guide }),
      body: JSON.stringify({ tour_id: tour.tourId }),
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ["an outsider", (t: TourFixture) => t.outsider, (t: TourFixture) => t.tourId, 403, "not_on_tour"],
    [
      "a tour that does not exist",
      (t: TourFixture) => t.guide,
      () => "00000000-0000-4000-8000-000000000000",
      404,
      "tour_not_found",
    ],
  ])("refuses %s with its code", async (_what, who, which, status, code) => {
    const res = await ask(who(tour), which(tour));
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it("refuses a tour that has ended with 410", async () => {
    const res = await ask(ended.listeners[0]!, ended.tourId);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe("tour_ended");
  });

  describe("bad input", () => {
    const cases: [string, () => Promise<Awaited<ReturnType<typeof call>>>, number, string][] = [
      [
        "malformed JSON",
        async () => call({ token: await userToken(tour.guide), body: "{tour_id:" }),
        400,
        "invalid_json",
      ],
      ["an empty body", async () => call({ token: await userToken(tour.guide), body: "" }), 400, "invalid_json"],
      ["a JSON array", async () => call({ token: await userToken(tour.guide), body: "[]" }), 400, "invalid_body"],
      [
        "a number for tour_id",
        async () => call({ token: await userToken(tour.guide), body: '{"tour_id": 5}' }),
        400,
        "invalid_tour_id",
      ],
      [
        "a tour_id that is not a UUID",
        async () => call({ token: await userToken(tour.guide), body: '{"tour_id": "tour-1; drop table tours"}' }),
        400,
        "invalid_tour_id",
      ],
      [
        "a missing tour_id",
        async () => call({ token: await userToken(tour.guide), body: "{}" }),
        400,
        "invalid_tour_id",
      ],
      [
        "an oversized body",
        async () =>
          call({
            token: await userToken(tour.guide),
            body: JSON.stringify({ tour_id: tour.tourId, pad: "x".repeat(10_000) }),
          }),
        413,
        "body_too_large",
      ],
      [
        "no Authorization header",
        async () => call({ body: JSON.stringify({ tour_id: tour.tourId }) }),
        401,
        "missing_token",
      ],
      [
        "a Basic Authorization header",
        async () => call({ headers: { authorization: "Basic dXNlcjpwYXNz" }, body: "{}" }),
        401,
        "missing_token",
      ],
      ["a token that is not a JWT", async () => call({ token: "not.a.jwt", body: "{}" }), 401, "invalid_token"],
      [
        "an expired JWT",
        async () =>
          call({
            token: await keys.sign({ sub: tour.guide }, { expiresIn: "-1m" }),
            body: JSON.stringify({ tour_id: tour.tourId }),
          }),
        401,
        "invalid_token",
      ],
      [
        "a JWT signed with another key",
        async () =>
          call({
            token: await (await makeProjectKeys()).sign({ sub: tour.guide }),
            body: JSON.stringify({ tour_id: tour.tourId }),
          }),
        401,
        "invalid_token",
      ],
      [
        "another project's JWT",
        async () =>
          call({
            token: await keys.sign({ sub: tour.guide }, { issuer: "https://other.supabase.co/auth/v1" }),
            body: JSON.stringify({ tour_id: tour.tourId }),
          }),
        401,
        "invalid_token",
      ],
      [
        "a JWT for another audience",
        async () =>
          call({
            token: await keys.sign({ sub: tour.guide }, { audience: "service" }),
            body: JSON.stringify({ tour_id: tour.tourId }),
          }),
        401,
        "invalid_token",
      ],
      [
        "an HS256 JWT signed with the wrong secret",
        async () =>
          call({
            token: await keys.signLegacy({ sub: tour.guide }, { secret: "wrong-secret-wrong-secret-wrong-secret" }),
            body: JSON.stringify({ tour_id: tour.tourId }),
          }),
        401,
        "invalid_token",
      ],
      [
        "an unsigned alg:none JWT",
        async () => {
          const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
          const none = `${enc({ alg: "none", typ: "JWT" })}.${enc({ sub: tour.guide, role: "authenticated", aud: "authenticated", iss: `${keys.supabaseUrl}/auth/v1`, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
          return call({ token: none, body: JSON.stringify({ tour_id: tour.tourId }) });
        },
        401,
        "invalid_token",
      ],
      [
        "the anon key's JWT",
        async () => call({ token: await keys.sign({ role: "anon" }), body: JSON.stringify({ tour_id: tour.tourId }) }),
        401,
        "not_signed_in",
      ],
      ["a GET", async () => call({ method: "GET", token: await userToken(tour.guide) }), 405, "method_not_allowed"],
    ];
    it.each(cases)("answers %s with its documented 4xx code", async (_what, send, status, code) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe("string");
    });
  });

  it("answers CORS preflight", async () => {
    const res = await fetch(fn.url, {
      method: "OPTIONS",
      headers: { origin: "https://app.roamcast.app", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("never writes a secret, a user's JWT or a LiveKit token into its log", async () => {
    const log = fn.output();
    expect(log).toContain('"fn":"livekit-token"');
    expect(log).not.toContain(LIVEKIT.apiSecret);
    expect(log).not.toContain(keys.legacySecret);
    for (const t of issued) expect(log).not.toContain(t.split(".")[2]);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
