// functions/livekit-token and the times in a user's token: exp is required and
// iat may not lie in the future beyond a small clock skew, on the JWKS (ES256)
// path and the legacy HS256 path alike. Bad times are the 401 of any bad token.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import {
  makeProjectKeys,
  type ProjectKeys,
  type RunningFunction,
  type SignOptions,
  startFunction,
} from "../../local/edgeFunctions";
import { createTour, type TourFixture } from "../../local/roles";

describe("livekit-token, a token's times", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let keys: ProjectKeys;
  let fn: RunningFunction;
  let tour: TourFixture;

  async function call(init: { token: string; body: string }) {
    const res = await fetch(fn.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${init.token}` },
      body: init.body,
    });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  }

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
    tour = await createTour(admin, { label: "times" });
    keys = await makeProjectKeys();
    fn = await startFunction("livekit-token", {
      SUPABASE_URL: keys.supabaseUrl,
      SUPABASE_JWKS: keys.jwksJson,
      LEGACY_JWT_SECRET: keys.legacySecret,
      SUPABASE_DB_URL: db.postgresUrl,
      LIVEKIT_URL: "wss://live.test.roamcast",
      LIVEKIT_API_KEY: "APItokenTimes",
      LIVEKIT_API_SECRET: "token-times-secret-0123456789abcdefghijklm",
    });
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    await db?.stop();
  });

  const body = () => JSON.stringify({ tour_id: tour.tourId });
  const signers = [
    ["ES256 (JWKS)", (options: SignOptions) => keys.sign({ sub: tour.guide }, options)],
    ["legacy HS256", (options: SignOptions) => keys.signLegacy({ sub: tour.guide }, options)],
  ] as const;

  describe.each(signers)("%s", (_alg, sign) => {
    it("refuses a token with no exp claim as an invalid token, naming the claim", async () => {
      const res = await call({ token: await sign({ expiresIn: null }), body: body() });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_token");
      expect(res.body.error.message).toMatch(/"exp"/);
    });

    it("refuses a token issued a day in the future as an invalid token", async () => {
      const res = await call({ token: await sign({ issuedAt: "1d", expiresIn: "25h" }), body: body() });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_token");
      expect(res.body.error.message).toMatch(/issued in the future/);
    });

    it("refuses a token issued two minutes ahead, beyond the 60 s clock skew", async () => {
      const res = await call({ token: await sign({ issuedAt: "2m" }), body: body() });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_token");
    });

    it("accepts a token issued 30 s ahead: clocks may differ that much", async () => {
      const res = await call({ token: await sign({ issuedAt: "30s" }), body: body() });
      expect(res.status).toBe(200);
    });

    it("keeps the key, not the verdict: after accepting tokens call after call, an expired one is still refused", async () => {
      for (let i = 0; i < 3; i++) expect((await call({ token: await sign({}), body: body() })).status).toBe(200);
      const res = await call({ token: await sign({ expiresIn: "-1m" }), body: body() });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe("the access token is not valid: it has expired; sign in again");
    });
  });

  it("refuses an HS256 token signed with any secret but LEGACY_JWT_SECRET, between accepted ones", async () => {
    const other = { secret: "another-projects-jwt-secret-0123456789abcdef" };
    const right = () => keys.signLegacy({ sub: tour.guide });
    expect((await call({ token: await right(), body: body() })).status).toBe(200);
    const res = await call({ token: await keys.signLegacy({ sub: tour.guide }, other), body: body() });
    expect(res.body.error.message).toBe("the access token is not valid: its signature does not verify");
    expect((await call({ token: await right(), body: body() })).status).toBe(200);
  });
});
