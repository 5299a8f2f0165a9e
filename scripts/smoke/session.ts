// What the smoke run's steps share: the stack and its users, the checks so
// far, the rooms joined (left at the end whatever happened), the guide's
// signal, the figures, and the app's own ways in (supabase-js sign-in, the
// token function, a LiveKit connection).
import { Room } from "@livekit/rtc-node";
import { createClient, FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import type { SmokeTarget, SmokeUsers } from "./inputs";
import type { SmokeCheck, SmokeThresholds } from "./report";
import type { GuideSignal } from "../../tour/audio";

export interface SmokeOptions {
  readonly listeners: number;
  readonly measureMs: number;
  readonly thresholds: SmokeThresholds;
  /** How long a listener may take to hear the guide, and the webhook to finish the room. */
  readonly waitMs?: number;
  readonly log?: (line: string) => void;
}

/** A failed step that the rest of the run depends on. */
class StepFailed extends Error {}

export interface TokenAnswer {
  status: number;
  body: any;
}

/** Calls the token function as the app does; returns the HTTP status and body either way. */
export async function requestToken(client: SupabaseClient, tourId: string): Promise<TokenAnswer> {
  const { data, error } = await client.functions.invoke("livekit-token", { body: { tour_id: tourId } });
  if (!error) return { status: 200, body: data };
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }
  throw error;
}

export const codeOf = (answer: TokenAnswer) => (answer.body?.error?.code as string | undefined) ?? "no error code";

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class SmokeSession {
  readonly log: (line: string) => void;
  readonly waitMs: number;
  readonly checks: SmokeCheck[] = [];
  readonly rooms: Room[] = [];
  signal: GuideSignal | undefined;
  readonly figures = {
    listeners: 0,
    tokenMs: [] as number[],
    joinMs: [] as number[],
    latencyMs: [] as number[],
    markersExpected: 0,
    markersHeard: 0,
    rejoinMs: undefined as number | undefined,
  };
  measured = false;

  constructor(
    readonly target: SmokeTarget,
    readonly users: SmokeUsers,
    readonly options: SmokeOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.waitMs = options.waitMs ?? 30_000;
  }

  /** A step the rest of the run depends on: its failure is recorded and stops the run. */
  async required<T>(name: string, run: () => Promise<{ value: T; detail: string }>): Promise<T> {
    this.log(`… ${name}`);
    try {
      const { value, detail } = await run();
      this.checks.push({ name, ok: true, detail });
      return value;
    } catch (error) {
      this.checks.push({ name, ok: false, detail: messageOf(error) });
      throw new StepFailed(name);
    }
  }

  /** A step whose failure is recorded, and the run goes on. */
  async optional(name: string, run: () => Promise<{ detail: string }>): Promise<void> {
    this.log(`… ${name}`);
    try {
      const { detail } = await run();
      this.checks.push({ name, ok: true, detail });
    } catch (error) {
      this.checks.push({ name, ok: false, detail: messageOf(error) });
    }
  }

  client(): SupabaseClient {
    return createClient(this.target.supabaseUrl, this.users.supabaseKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
  }

  async signIn(email: string): Promise<SupabaseClient> {
    const c = this.client();
    const { error } = await c.auth.signInWithPassword({ email, password: this.users.password });
    if (error) throw new Error(`${email}: ${error.message}`);
    return c;
  }

  async connect(url: string, token: string, autoSubscribe: boolean): Promise<Room> {
    const room = new Room();
    this.rooms.push(room);
    await room.connect(url, token, { autoSubscribe, dynacast: false });
    return room;
  }

  async listenerToken(c: SupabaseClient, who: string): Promise<{ url: string; token: string; ms: number }> {
    const t0 = performance.now();
    const answer = await requestToken(c, this.users.tourId);
    if (answer.status !== 200) throw new Error(`${who}: HTTP ${answer.status} ${codeOf(answer)}`);
    if (answer.body.role !== "listener")
      throw new Error(`${who}: the function gave role ${answer.body.role}, not listener`);
    return { url: answer.body.url as string, token: answer.body.token as string, ms: performance.now() - t0 };
  }

  /** A failure outside any step (a bug, a library's throw) is a failed check of its own. */
  recordUnexpected(error: unknown): void {
    if (!(error instanceof StepFailed))
      this.checks.push({ name: "the smoke run", ok: false, detail: messageOf(error) });
  }
}
