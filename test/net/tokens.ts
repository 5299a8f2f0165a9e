// The token function (Deno) with PostgreSQL and the migrations, on this
// machine's loopback: the test asks it for each phone's token and URL as the
// app does, and hands both to the phone in its namespace. The function is
// given the rendered API key and the lab's wss:// URL, so the token it signs
// is what the lab's LiveKit checks.
import { startMigratedDatabase } from "../../local/database";
import { makeProjectKeys, startTokenFunctionFor } from "../../local/edgeFunctions";
import { createTour } from "../../local/roles";
import { TEST_SECRETS } from "../support/fixtures";

export interface Grant {
  readonly url: string;
  readonly token: string;
  readonly role: string;
}

export interface TokenFunction {
  readonly guide: string;
  readonly listeners: readonly string[];
  /** POSTs the tour id with the user's Supabase JWT; throws unless 200. */
  requestToken(userId: string): Promise<Grant>;
  stop(): Promise<void>;
}

export async function startTokenFunction(livekitUrl: string, listeners: number): Promise<TokenFunction> {
  const db = await startMigratedDatabase();
  try {
    const tour = await createTour(db.admin(), { listeners });
    const keys = await makeProjectKeys();
    const fn = await startTokenFunctionFor(keys, db.postgresUrl, { url: livekitUrl, ...TEST_SECRETS });
    return {
      guide: tour.guide,
      listeners: tour.listeners,
      async requestToken(userId) {
        const res = await fetch(fn.url, {
          method: "POST",
          headers: { authorization: `Bearer ${await keys.sign({ sub: userId })}`, "content-type": "application/json" },
          body: JSON.stringify({ tour_id: tour.tourId }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json()) as Grant;
        if (res.status !== 200) throw new Error(`token function answered ${res.status}: ${JSON.stringify(body)}`);
        return { url: body.url, token: body.token, role: body.role };
      },
      async stop() {
        await fn.stop();
        await db.stop();
      },
    };
  } catch (error) {
    await db.stop();
    throw error;
  }
}
