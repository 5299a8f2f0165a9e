// functions/livekit-token with several LiveKit nodes, through its real Deno
// entry point against PostgreSQL: every phone of a tour gets the same node's
// URL, call after call, and the tours spread over the nodes.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigratedDatabase, type TestDatabase } from "../../local/database";
import { makeProjectKeys, type ProjectKeys, type RunningFunction, startFunction } from "../../local/edgeFunctions";
import { createTour, type TourFixture } from "../../local/roles";

const NODES = ["wss://live.test.roamcast", "wss://live-2.test.roamcast", "wss://live-3.test.roamcast"];
const TOURS = 9;

describe("livekit-token with three LiveKit nodes", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let keys: ProjectKeys;
  let fn: RunningFunction;
  const tours: TourFixture[] = [];

  beforeAll(async () => {
    db = await startMigratedDatabase();
    admin = db.admin();
    for (let i = 0; i < TOURS; i++) tours.push(await createTour(admin, { listeners: 2, label: `nodes-${i}` }));
    keys = await makeProjectKeys();
    fn = await startFunction("livekit-token", {
      SUPABASE_URL: keys.supabaseUrl,
      SUPABASE_JWKS: keys.jwksJson,
      SUPABASE_DB_URL: db.postgresUrl,
      // As components/supabase.ts sets it for three nodes: node 1 first, comma-separated.
      LIVEKIT_URL: NODES.join(","),
      LIVEKIT_API_KEY: "APInodesTest",
      LIVEKIT_API_SECRET: "nodes-test-secret-0123456789abcdefghijklmnop",
    });
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    await db?.stop();
  });

  const urlFor = async (sub: string, tourId: string) => {
    const res = await fetch(fn.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await keys.sign({ sub })}` },
      body: JSON.stringify({ tour_id: tourId }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { url: string }).url;
  };

  it("sends the guide and every listener of a tour to one node, the same on every call", async () => {
    for (const tour of tours) {
      const urls = [
        await urlFor(tour.guide, tour.tourId),
        ...(await Promise.all(tour.listeners.map((l) => urlFor(l, tour.tourId)))),
        await urlFor(tour.listeners[0]!, tour.tourId),
      ];
      expect(NODES).toContain(urls[0]);
      expect(new Set(urls), `tour ${tour.tourId}`).toEqual(new Set([urls[0]]));
    }
  });

  it("spreads tours over more than one node", async () => {
    const chosen = new Set(await Promise.all(tours.map((t) => urlFor(t.guide, t.tourId))));
    expect(chosen.size).toBeGreaterThan(1);
  });

  it.each([
    [
      "an https URL among the nodes",
      "wss://live.test.roamcast,https://live-2.test.roamcast",
      'LIVEKIT_URL holds "https://live-2.test.roamcast", which is not a ws:// or wss:// URL; list the nodes comma-separated',
    ],
    ["a node listed twice", `${NODES[0]},${NODES[0]}`, "LIVEKIT_URL lists a node twice; list each node once"],
  ])("refuses to start with %s in LIVEKIT_URL, naming the variable and the fix", async (_, value, message) => {
    const started = startFunction("livekit-token", {
      SUPABASE_URL: keys.supabaseUrl,
      SUPABASE_JWKS: keys.jwksJson,
      SUPABASE_DB_URL: db.postgresUrl,
      LIVEKIT_URL: value,
      LIVEKIT_API_KEY: "APInodesTest",
      LIVEKIT_API_SECRET: "nodes-test-secret-0123456789abcdefghijklmnop",
    });
    await expect(started).rejects.toThrow(message);
  });
});
