// The whole platform on 127.0.0.1, from the project's own renderers and
// migrations: Redis with the rendered redis.conf, livekit-server with the
// rendered livekit.yaml (host values moved to loopback, webhook aimed at the
// local function), PostgreSQL with the migrations, and both edge functions
// under Deno. Nothing on a tour's path is mocked.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type HostModel } from "../templates";
import { startMigratedDatabase, type TestDatabase } from "./database";
import {
  makeProjectKeys,
  type ProjectKeys,
  type RunningFunction,
  startFunction,
  startTokenFunctionFor,
} from "./edgeFunctions";
import { localHostModel } from "./model";
import { localLivekitConfig, type LocalPorts, pickLocalPorts, startLivekit, startRedis } from "./livekit";
import type { Running } from "./processes";
import type { LivekitYaml } from "../templates/livekit";

export interface LocalPlatform {
  readonly model: HostModel;
  readonly ports: LocalPorts;
  /** ws:// URL clients connect to. */
  readonly livekitUrl: string;
  readonly livekitHttpUrl: string;
  readonly tokenUrl: string;
  readonly keys: ProjectKeys;
  readonly db: TestDatabase;
  readonly admin: postgres.Sql;
  readonly livekit: Running;
  readonly redis: Running;
  readonly token: RunningFunction;
  readonly webhook: RunningFunction;
  /** Asks the token function for a LiveKit token, as the app does. */
  requestToken(userId: string, tourId: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  readonly livekitCpus?: string;
  readonly listenersPerTour?: number;
  /** Changes the local livekit.yaml before LiveKit starts (the capacity bench moves its fixed ports to free ones). */
  readonly livekitConfig?: (config: LivekitYaml) => LivekitYaml;
}

export async function startLocalPlatform(options: PlatformOptions = {}): Promise<LocalPlatform> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const db = await startMigratedDatabase();
    stops.push(() => db.stop());

    const secrets = {
      apiKey: `API${randomBytes(6).toString("hex")}`,
      apiSecret: randomBytes(24).toString("hex"),
      redisPassword: randomBytes(20).toString("hex"),
    };
    const ports = await pickLocalPorts();
    const webhook = await startFunction("livekit-webhook", {
      SUPABASE_DB_URL: db.postgresUrl,
      LIVEKIT_API_KEY: secrets.apiKey,
      LIVEKIT_API_SECRET: secrets.apiSecret,
    });
    stops.push(() => webhook.stop());

    const model: HostModel = localHostModel({
      secrets,
      webhookUrl: webhook.url,
      listenersPerTour: options.listenersPerTour,
    });
    const redis = await startRedis(model, ports);
    stops.push(() => redis.stop());
    const config = localLivekitConfig(model, ports);
    const livekit = await startLivekit(options.livekitConfig?.(config) ?? config, ports.livekit, options.livekitCpus);
    stops.push(() => livekit.stop());
    const livekitUrl = `ws://127.0.0.1:${ports.livekit}`;

    const keys = await makeProjectKeys();
    const token = await startTokenFunctionFor(keys, db.postgresUrl, { url: livekitUrl, ...secrets });
    stops.push(() => token.stop());
    const admin = db.admin();

    return {
      model,
      ports,
      livekitUrl,
      livekitHttpUrl: `http://127.0.0.1:${ports.livekit}`,
      tokenUrl: token.url,
      keys,
      db,
      admin,
      livekit,
      redis,
      token,
      webhook,
      async requestToken(userId, tourId) {
        const jwt = await keys.sign({ sub: userId });
        const res = await fetch(token.url, {
          method: "POST",
          headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
          body: JSON.stringify({ tour_id: tourId }),
        });
        return { status: res.status, body: await res.json() };
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
